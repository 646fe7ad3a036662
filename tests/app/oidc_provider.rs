//! A real OpenID provider for the SSO tests: `node tests/oidc/provider.js`
//! (node-oidc-provider, a certified implementation; `npm ci --prefix
//! tests/oidc` installs it), started per test on a free port, and a
//! cookie-keeping HTTP client that signs in at it the way a browser would,
//! following its redirects until it sends the person back to whygo.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use openidconnect::reqwest;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// The host the tests' whygo answers as (sent as `Host`), so the redirect
/// URIs registered at the provider are `http://whygo.test/{tenant}/sso/callback`.
pub const APP_HOST: &str = "whygo.test";

/// The provider's static clients (tests/oidc/provider.js).
pub const CLIENT: &str = "whygo";
pub const SECRET: &str = "whygo-test-client-secret-8c1f";
/// Its authorization codes expire after one second.
pub const SHORT_CLIENT: &str = "whygo-short";
pub const SHORT_SECRET: &str = "whygo-short-client-secret-77d2";

pub struct Provider {
    pub issuer: String,
    // Killed when the test ends (kill_on_drop); its stdin, held here, closes
    // with this process too, which also stops it.
    _child: Child,
}

impl Provider {
    /// Starts the provider with redirect URIs for these organizations.
    pub async fn start(slugs: &[&str]) -> Provider {
        Provider::start_with(slugs, false).await
    }

    /// [`Provider::start`]; `email_in_id_token`: the ID token carries the
    /// email (otherwise only the userinfo endpoint does).
    pub async fn start_with(slugs: &[&str], email_in_id_token: bool) -> Provider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the test OpenID provider is not installed: run `npm ci --prefix tests/oidc`"
        );
        let redirects: Vec<String> = slugs
            .iter()
            .map(|s| format!("http://{APP_HOST}/{s}/sso/callback"))
            .collect();
        let mut child = Command::new("node")
            .arg(dir.join("provider.js"))
            .arg("0")
            .args(&redirects)
            .env(
                "OIDC_EMAIL_IN_ID_TOKEN",
                if email_in_id_token { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start `node tests/oidc/provider.js` (is Node.js installed?)");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        // Its own warnings about development settings are expected; anything
        // else it says goes to the test's output.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if !line.starts_with("oidc-provider WARNING") {
                    eprintln!("provider: {line}");
                }
            }
        });
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the provider says it is ready within 30 s")
            .expect("read the provider's output")
            .expect("the provider printed a line");
        let issuer = first
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("unexpected first line from the provider: {first}"))
            .to_owned();
        // What it prints later (notices) is read and dropped: a closed pipe
        // would stop it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Provider {
            issuer,
            _child: child,
        }
    }
}

/// A browser at the provider: keeps its cookies, follows no redirect by
/// itself.
pub struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: BTreeMap::new(),
        }
    }
}

/// What the provider answered.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie)
        };
        let res = req.send().await.expect("the provider answers");
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap_or_default();
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                let gone = v.is_empty()
                    || set
                        .to_ascii_lowercase()
                        .contains("expires=thu, 01 jan 1970");
                if gone {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies.insert(k.trim().to_owned(), v.to_owned());
                }
            }
        }
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res.text().await.unwrap_or_default();
        Answer {
            status,
            location,
            body,
        }
    }

    /// Signs in at the provider as `account` (an id of provider.js) from
    /// the authorization URL whygo sent the browser to, and returns the
    /// path and query of whygo's callback the provider sends it back to.
    pub async fn sign_in(&mut self, issuer: &str, authorize_url: &str, account: &str) -> String {
        let back = format!("http://{APP_HOST}");
        let mut url = authorize_url.to_owned();
        let mut answer = self.send(self.http.get(&url)).await;
        for _ in 0..10 {
            if let Some(location) = answer.location.clone() {
                let next = if location.starts_with('/') {
                    format!("{issuer}{location}")
                } else {
                    location
                };
                if let Some(path) = next.strip_prefix(&back) {
                    return path.to_owned();
                }
                url = next;
                answer = self.send(self.http.get(&url)).await;
                continue;
            }
            assert_eq!(
                answer.status, 200,
                "the provider refused at {url}:\n{}",
                answer.body
            );
            // The development login form: any password.
            let action = between(&answer.body, "action=\"", "\"")
                .unwrap_or_else(|| panic!("no form at {url}:\n{}", answer.body));
            let action = if action.starts_with('/') {
                format!("{issuer}{action}")
            } else {
                action.to_owned()
            };
            let prompt = between(&answer.body, "name=\"prompt\" value=\"", "\"").unwrap_or("login");
            let form = [
                ("prompt", prompt),
                ("login", account),
                ("password", "any password"),
            ];
            answer = self.send(self.http.post(&action).form(&form)).await;
        }
        panic!("the provider never sent the browser back to whygo (last at {url})");
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let at = text.find(start)? + start.len();
    let len = text[at..].find(end)?;
    Some(&text[at..at + len])
}
