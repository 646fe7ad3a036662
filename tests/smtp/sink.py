"""A real SMTP server for the tests (aiosmtpd): every message it accepts is
written to DIR as N.json, with its envelope, its headers and its text and
HTML parts decoded by Python's own email parser, and as N.eml, raw.

    python3 tests/smtp/sink.py DIR [PORT]

Listens on 127.0.0.1:PORT (default: a free port) and prints the port on its
first line once it accepts connections. Ends when killed.
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Store:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.folder, "%d-%04d" % (os.getpid(), self.count))
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_to": list(envelope.rcpt_tos),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        with open(name + ".eml", "wb") as f:
            f.write(raw)
        # Written whole, then renamed: a reader never sees half a message.
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name + ".json")
        return "250 OK"


async def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    store = Store(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(store), "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
