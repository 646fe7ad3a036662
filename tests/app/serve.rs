//! `whygo serve` end to end with no DATABASE_URL: it starts its own
//! PostgreSQL, loads the demo, serves pages, and stops everything on SIGTERM.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server if the test fails half-way, so no child outlives it.
pub(crate) struct Killed(pub(crate) std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to whygo");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn serve_runs_on_its_own_postgres_with_the_demo_and_stops_cleanly() {
    let data = crate::common::data_dir("whygo-serve-");
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_whygo"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("DATABASE_URL")
            .env("WHYGO_DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start whygo serve"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    // The server prints the demo's sign-ins, then its address once it is ready.
    let mut printed = Vec::new();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            let found = l
                .strip_prefix("whygo is listening on http://")
                .map(|a| a.trim_end_matches('/').to_owned());
            printed.push(l);
            found
        })
        .expect("whygo prints its address");
    let demo_line = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(
        demo_line.contains("/kartel"),
        "announces the demo: {demo_line}"
    );
    let printed = printed.join("\n");
    assert!(
        printed.contains("Demo sign-ins (password whygo-demo-2026)"),
        "{printed}"
    );
    for email in [
        "kevin@kartel.example",
        "wayan@kartel.example",
        "trent@kartel.example",
        "zac@kartel.example",
    ] {
        assert!(
            printed.contains(email),
            "prints the demo account {email}: {printed}"
        );
    }

    let (status, body) = http_get(&addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(&addr, "/kartel");
    assert_eq!(status, 303, "the dashboard asks to sign in: {body}");
    let (status, body) = http_get(&addr, "/login");
    assert_eq!(status, 200);
    assert!(body.contains("Sign in"));
    assert!(
        data.path().join("pgdata").join("postmaster.pid").exists(),
        "the cluster runs in the data dir"
    );

    // SAFETY: sending SIGTERM to our own child process.
    let pid = i32::try_from(child.0.id()).expect("pid");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "whygo did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit: {status:?}");
    assert!(
        !data.path().join("pgdata").join("postmaster.pid").exists(),
        "the cluster was shut down cleanly"
    );
}

/// The postmaster's pid, from the first line of postmaster.pid.
pub(crate) fn postmaster_pid(data: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(data.join("pgdata").join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

#[test]
fn the_embedded_postgres_does_not_outlive_a_killed_server() {
    let data = crate::common::data_dir("whygo-kill-");
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_whygo"))
            .args(["serve", "--addr", "127.0.0.1:0", "--demo", "false"])
            .env_remove("DATABASE_URL")
            .env("WHYGO_DATA_DIR", data.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start whygo serve"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.starts_with("whygo is listening on"));
    assert!(ready, "whygo started");
    let postgres = postmaster_pid(data.path()).expect("a running postmaster");

    // SIGKILL: no chance to stop the cluster itself.
    child.0.kill().expect("kill whygo");
    child.0.wait().expect("reap whygo");
    let started = Instant::now();
    // SAFETY: signal 0 only asks whether the process exists.
    while unsafe { libc::kill(postgres, 0) } == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "postgres {postgres} outlived its killed server"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `whygo serve` on its own cluster in `data` with `extra` flags;
/// returns it and its address once it listens.
pub(crate) fn start_serve(data: &std::path::Path, extra: &[&str]) -> (Killed, String) {
    start_serve_env(data, extra, &[])
}

/// [`start_serve`] with these environment variables set too.
pub(crate) fn start_serve_env(
    data: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Killed, String) {
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_whygo"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied())
            .env_remove("DATABASE_URL")
            .env("WHYGO_DATA_DIR", data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start whygo serve"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("whygo is listening on http://")
                .map(|a| a.trim_end_matches('/').to_owned())
        })
        .expect("whygo prints its address");
    // Keep reading, so what it prints later does not meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

/// [`start_serve_env`] logging at info level to a pipe the caller reads
/// (read it after the server stops, or it may fill).
pub(crate) fn start_serve_logged(data: &std::path::Path, env: &[(&str, &str)]) -> (Killed, String) {
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_whygo"))
            .args(["serve", "--addr", "127.0.0.1:0", "--jobs", "false"])
            .envs(env.iter().copied())
            .env_remove("DATABASE_URL")
            .env("WHYGO_DATA_DIR", data)
            .env("RUST_LOG", "whygo=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start whygo serve"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("whygo is listening on http://")
                .map(|a| a.trim_end_matches('/').to_owned())
        })
        .expect("whygo prints its address");
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

/// Waits for the child to exit, failing after `limit`.
pub(crate) fn wait_exit(
    child: &mut Killed,
    limit: Duration,
    what: &str,
) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            return s;
        }
        assert!(started.elapsed() < limit, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn half_sent_requests_are_cut_off_and_cannot_hold_the_server_past_its_shutdown_deadline() {
    let data = crate::common::data_dir("whygo-slow-");
    let (mut child, addr) = start_serve(
        data.path(),
        &[
            "--demo",
            "false",
            "--header-read-timeout",
            "1",
            "--shutdown-deadline",
            "2",
        ],
    );

    // Half a request head: the server hangs up once the header timeout passes.
    let mut slow = TcpStream::connect(&addr).expect("connect");
    write!(slow, "GET /login HTTP/1.1\r\nHost: {addr}\r\n").expect("send half");
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut buf = Vec::new();
    let read = slow.read_to_end(&mut buf);
    assert!(
        read.is_ok(),
        "the half-sent request was still open after 30 s: {read:?}"
    );

    // A request whose body never finishes is in flight at SIGTERM.
    let mut stuck = TcpStream::connect(&addr).expect("connect");
    write!(
        stuck,
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail="
    )
    .expect("send head");
    let (status, _) = http_get(&addr, "/healthz");
    assert_eq!(status, 200);

    // SAFETY: sending SIGTERM to our own child process.
    let pid = i32::try_from(child.0.id()).expect("pid");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = wait_exit(
        &mut child,
        Duration::from_secs(30),
        "a request in flight kept whygo from stopping",
    );
    assert!(status.success(), "clean exit: {status:?}");
    assert!(
        !data.path().join("pgdata").join("postmaster.pid").exists(),
        "the cluster stopped with it"
    );
    drop(stuck);
}

/// One HTTP/1.1 request over a fresh connection: the status, the whole
/// response (head and body) and the values of the cookies it sets.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> (u16, String, Vec<(String, String)>) {
    http_within(addr, method, path, cookies, form, Duration::from_secs(30))
}

/// [`http`], giving up (status 0) when no answer came within `timeout`.
fn http_within(
    addr: &str,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
    timeout: Duration,
) -> (u16, String, Vec<(String, String)>) {
    let mut stream = TcpStream::connect(addr).expect("connect to whygo");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    let body = form.unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookies}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let set: Vec<(String, String)> = response
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (status, response, set)
}

#[test]
fn a_killed_embedded_postgres_is_restarted_and_pages_answer_503_meanwhile() {
    let data = crate::common::data_dir("whygo-revive-");
    let (mut child, addr) = start_serve(data.path(), &[]);

    // Sign in (a session row is written) and see the dashboard.
    let (_, form, set) = http(&addr, "GET", "/login", "", None);
    let (_, csrf_cookie) = set
        .iter()
        .find(|(k, _)| k == "whygo_csrf")
        .expect("a CSRF cookie")
        .clone();
    let token = crate::common::csrf_in(&form).expect("a CSRF token");
    let (status, head, set) = http(
        &addr,
        "POST",
        "/login",
        &format!("whygo_csrf={csrf_cookie}"),
        Some(&format!(
            "email=kevin%40kartel.example&password=whygo-demo-2026&csrf_token={token}"
        )),
    );
    assert_eq!(status, 303, "{head}");
    let (_, session) = set
        .iter()
        .find(|(k, _)| k == "whygo_session")
        .expect("a session")
        .clone();
    let cookie = format!("whygo_session={session}");
    let (status, page, _) = http(&addr, "GET", "/kartel", &cookie, None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Kartel AI"));

    let postmaster = postmaster_pid(data.path()).expect("a running postmaster");
    // SAFETY: killing the PostgreSQL our child started.
    assert_eq!(unsafe { libc::kill(postmaster, libc::SIGKILL) }, 0);

    let started = Instant::now();
    let (mut unhealthy, mut page_503) = (false, false);
    let recovered = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not back within 60 s (seen unhealthy: {unhealthy}, a 503 page: {page_503})"
        );
        // A request that got past the gate just before the supervisor saw
        // the postmaster die waits for a connection until the cluster is
        // back, then answers 200: a short wait here keeps polling, so the
        // gate's 503 (at least 2 s: the first restart's backoff) is seen.
        let quick = Duration::from_millis(700);
        let (health, health_body, _) = http_within(&addr, "GET", "/healthz", "", None, quick);
        let (status, page, _) = http_within(&addr, "GET", "/kartel", &cookie, None, quick);
        assert!(
            health != 500 && status != 500,
            "a 500 while the database was down:\n{health_body}\n{page}"
        );
        if health == 503 {
            unhealthy = true;
        }
        if status == 503 {
            assert!(page.contains("cannot reach its database"), "{page}");
            assert!(page.to_lowercase().contains("retry-after: 5"), "{page}");
            page_503 = true;
        }
        if unhealthy && page_503 && health == 200 && status == 200 {
            break page;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Same session, same data: nothing was lost.
    assert!(recovered.contains("Kartel AI"), "{recovered}");
    let revived = postmaster_pid(data.path()).expect("a new postmaster");
    assert_ne!(revived, postmaster);

    // SAFETY: sending SIGTERM to our own child process.
    let pid = i32::try_from(child.0.id()).expect("pid");
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = wait_exit(&mut child, Duration::from_secs(60), "whygo did not stop");
    assert!(status.success(), "clean exit: {status:?}");
    // SAFETY: signal 0 only asks whether the process exists.
    assert_ne!(
        unsafe { libc::kill(revived, 0) },
        0,
        "the revived cluster stopped too"
    );
}
