//! The browser harness: one chromedriver per test process, one Chromium
//! (fresh profile) and one app server over a fresh demo database per test,
//! helpers that find things the way a person does (by label, button text,
//! link text) and wait for what the page shows, axe-core, and failure
//! evidence (a screenshot and the page's HTML) under `target/browser-failures/`.
//!
//! WebDriver client: fantoccini rather than thirtyfour, because it is a thin
//! client over hyper and serde (far less to compile on a shared machine) and
//! has all these tests need: navigation, finding and clicking, typing, script
//! execution, screenshots.

use std::fmt::Write as _;
use std::future::Future;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::common::{self, TestDb};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL_BROWSER: &str = "install both with `apt-get install chromium chromium-driver` \
     (Debian packages; .ci/run does it on a fresh machine)";

/// The desktop window, and the phone one of the narrow-screen checks.
pub const DESKTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// How long a page, a script answer or a condition may take.
const PATIENCE: Duration = Duration::from_secs(15);

// ----------------------------------------------------------------------------
// chromedriver, once per test process
// ----------------------------------------------------------------------------

/// The URL of this process's chromedriver, started on first use.
fn driver() -> &'static str {
    static DRIVER: OnceLock<Result<String, String>> = OnceLock::new();
    match DRIVER.get_or_init(start_driver) {
        Ok(url) => url,
        Err(e) => panic!("{e}"),
    }
}

fn start_driver() -> Result<String, String> {
    for (path, what) in [(CHROMEDRIVER, "chromedriver"), (CHROMIUM, "Chromium")] {
        if !Path::new(path).exists() {
            return Err(format!(
                "the browser tests need {what} at {path}, which is missing: {INSTALL_BROWSER}"
            ));
        }
    }
    // A free port: bound by us, then released for chromedriver.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for chromedriver: {e}"))?
        .port();
    let (tx, rx) = std::sync::mpsc::channel::<Result<(), String>>();
    // Started from a thread that lives as long as chromedriver does (it reads
    // its output until it ends): the parent-death signal below fires when
    // the *thread* that started it ends, so chromedriver ends with this
    // process and never before.
    std::thread::Builder::new()
        .name("chromedriver".to_owned())
        .spawn(move || {
            let mut cmd = Command::new(CHROMEDRIVER);
            cmd.arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null());
            // SAFETY: prctl is async-signal-safe; it runs in the child
            // between fork and exec and touches no memory of ours.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(format!(
                        "cannot start {CHROMEDRIVER}: {e}; {INSTALL_BROWSER}"
                    )));
                    return;
                }
            };
            let mut ready = false;
            if let Some(out) = child.stdout.take() {
                let mut said = Vec::new();
                for line in std::io::BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if !ready {
                        if line.contains("started successfully") {
                            ready = true;
                            let _ = tx.send(Ok(()));
                        } else {
                            said.push(line);
                        }
                    }
                }
                if !ready {
                    let status = child.wait();
                    let _ = tx.send(Err(format!(
                        "chromedriver ended before it was ready ({status:?}): {}",
                        said.join("\n")
                    )));
                    return;
                }
            }
            let _ = child.wait();
        })
        .map_err(|e| format!("cannot start a thread for chromedriver: {e}"))?;
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(())) => Ok(format!("http://127.0.0.1:{port}")),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("chromedriver did not say it started within 30 s".to_owned()),
    }
}

// ----------------------------------------------------------------------------
// Where evidence goes
// ----------------------------------------------------------------------------

/// `target/` (or `CARGO_TARGET_DIR`): the parent of the tests' tmp dir.
pub fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}

/// `target/browser-failures/`, emptied of an earlier run's files once per run.
pub fn failures_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = target_dir().join("browser-failures");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create target/browser-failures");
        dir
    })
}

/// A file name made of a label: letters, digits, `-` and `_` only.
pub fn file_name(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_matches('_').chars().take(120).collect()
}

// ----------------------------------------------------------------------------
// A test: database, server, browser
// ----------------------------------------------------------------------------

/// One test's world: the demo database, the app serving it on 127.0.0.1,
/// and a Chromium of its own. Cloned into the test's body.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub db: Arc<TestDb>,
    /// The test's name: names its evidence files.
    pub name: String,
    _profile: Arc<tempfile::TempDir>,
}

/// Runs a journey: a fresh demo database and server, a fresh Chromium at
/// the desktop size. When `body` panics, a screenshot and the page's HTML
/// are kept under `target/browser-failures/` and the panic says where.
pub async fn run<F, Fut>(name: &str, body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_sized(name, DESKTOP, body).await;
}

/// [`run`] with a window of `size` (width, height).
pub async fn run_sized<F, Fut>(name: &str, size: (u32, u32), body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // What the test needs from outside, before spending time on it.
    axe_source();
    let _ = driver();
    let db = Arc::new(common::demo_db().await);
    let base = serve(&db).await;
    let browser = Browser::start(name, &base, db, size).await;
    let outcome = tokio::spawn(body(browser.clone())).await;
    let failure = match outcome {
        Ok(()) => None,
        Err(e) => Some(match e.try_into_panic() {
            Ok(payload) => panic_text(payload.as_ref()),
            Err(e) => e.to_string(),
        }),
    };
    if let Some(message) = failure {
        let kept = browser.keep("failed").await;
        browser.close().await;
        panic!("{message}\n[{name}] {kept}");
    }
    browser.close().await;
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

/// Serves the app (its clock on the tests' day, as `common::app`) on a free
/// port of 127.0.0.1 until the test's runtime ends; returns its base URL.
pub async fn serve(db: &TestDb) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("the bound address");
    let app = common::app(db).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// An XPath string literal for any text (XPath 1 has no escapes).
pub fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

impl Browser {
    /// A Chromium of its own (fresh profile) at `size`, on the test's server.
    pub async fn start(name: &str, base: &str, db: Arc<TestDb>, size: (u32, u32)) -> Browser {
        let url = driver();
        let profile = tempfile::Builder::new()
            .prefix("whygo-chromium-")
            .tempdir()
            .expect("a profile dir");
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "script": 60_000, "pageLoad": 30_000, "implicit": 0 },
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={},{}", size.0, size.1),
                ],
            },
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(url)
            .await
            .unwrap_or_else(|e| {
                panic!("chromedriver ({url}) could not start Chromium ({CHROMIUM}): {e}; {INSTALL_BROWSER}")
            });
        client
            .set_window_size(size.0, size.1)
            .await
            .expect("set the window size");
        Browser {
            client,
            base: base.to_owned(),
            db,
            name: name.to_owned(),
            _profile: Arc::new(profile),
        }
    }

    /// Ends the browser session (and its Chromium).
    pub async fn close(&self) {
        let _ = self.client.clone().close().await;
    }

    /// Keeps a screenshot and the page's HTML (the DOM as it is now) as
    /// `target/browser-failures/<test>-<label>.{png,html}`; says where.
    pub async fn keep(&self, label: &str) -> String {
        let dir = failures_dir();
        let stem = file_name(&format!("{}-{label}", self.name));
        let png = dir.join(format!("{stem}.png"));
        let html = dir.join(format!("{stem}.html"));
        let url = self
            .client
            .current_url()
            .await
            .map_or_else(|e| format!("(no URL: {e})"), |u| u.to_string());
        let shot = match self.client.screenshot().await {
            Ok(bytes) => std::fs::write(&png, bytes).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let source = match self.client.source().await {
            Ok(s) => std::fs::write(&html, s).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let shot = match shot {
            Ok(()) => format!("screenshot in {}", png.display()),
            Err(e) => format!("no screenshot ({e})"),
        };
        let source = match source {
            Ok(()) => format!("page HTML in {}", html.display()),
            Err(e) => format!("no page HTML ({e})"),
        };
        format!("page {url}: {shot}, {source}")
    }

    // ----- Navigation --------------------------------------------------------

    /// Opens a path of the app, as typing its address.
    pub async fn visit(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// The current address's path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `check` says yes, failing after a while with `what`.
    pub async fn until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let start = Instant::now();
        while !check().await {
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what}; the page at {} shows:\n{}",
                self.path().await,
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks `el` and waits for the next page to have loaded (a form's
    /// answer or a link's page).
    pub async fn click_to_load(&self, el: &Element, what: &str) {
        self.js("window.__whygoBefore = true;", vec![]).await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {what}: {e}"));
        let c = self.client.clone();
        self.until(&format!("the page after clicking {what}"), || {
            let c = c.clone();
            async move {
                c.execute(
                    "return window.__whygoBefore === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
            }
        })
        .await;
    }

    // ----- Reading -----------------------------------------------------------

    /// The text a person sees on the page.
    pub async fn text(&self) -> String {
        self.client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Asserts that the page shows `text`.
    pub async fn sees(&self, text: &str) {
        let shown = self.text().await;
        assert!(
            shown.contains(text),
            "the page at {} does not show {text:?}; it shows:\n{shown}",
            self.path().await
        );
    }

    /// Asserts that the page does not show `text`.
    pub async fn does_not_see(&self, text: &str) {
        let shown = self.text().await;
        assert!(
            !shown.contains(text),
            "the page at {} shows {text:?}, which it should not:\n{shown}",
            self.path().await
        );
    }

    /// The element of this id.
    pub async fn by_id(&self, id: &str) -> Element {
        match self.client.find(Locator::Id(id)).await {
            Ok(el) => el,
            Err(e) => panic!("no element #{id} on {}: {e}", self.path().await),
        }
    }

    /// The visible text of the element of this id.
    pub async fn text_of(&self, id: &str) -> String {
        self.by_id(id).await.text().await.unwrap_or_default()
    }

    // ----- Finding as a person does -------------------------------------------

    /// The first displayed element the XPath finds (within `scope` when
    /// given), or a failure that says what was looked for.
    async fn displayed(&self, scope: Option<&Element>, xpath: &str, what: &str) -> Element {
        let found = match scope {
            Some(s) => s.find_all(Locator::XPath(xpath)).await,
            None => self.client.find_all(Locator::XPath(xpath)).await,
        }
        .unwrap_or_default();
        for el in found {
            if el.is_displayed().await.unwrap_or(false) {
                return el;
            }
        }
        panic!(
            "no {what} on {}; the page shows:\n{}",
            self.path().await,
            self.text().await
        );
    }

    /// The form field whose label reads `label` (the label's whole text,
    /// including words only screen readers get), within `scope` if given.
    pub async fn field_in(&self, scope: Option<&Element>, label: &str) -> Element {
        let lit = xpath_literal(label);
        let prefix = if scope.is_some() { "." } else { "" };
        let labels = match scope {
            Some(s) => {
                s.find_all(Locator::XPath(&format!(
                    "{prefix}//label[normalize-space(.)={lit}]"
                )))
                .await
            }
            None => {
                self.client
                    .find_all(Locator::XPath(&format!(
                        "//label[normalize-space(.)={lit}]"
                    )))
                    .await
            }
        }
        .unwrap_or_default();
        for l in labels {
            if let Ok(Some(id)) = l.attr("for").await {
                if let Ok(el) = self.client.find(Locator::Id(&id)).await {
                    return el;
                }
            } else if let Ok(el) = l
                .find(Locator::XPath(".//input|.//select|.//textarea"))
                .await
            {
                return el;
            }
        }
        panic!(
            "no field labelled {label:?} on {}; the page shows:\n{}",
            self.path().await,
            self.text().await
        );
    }

    pub async fn field(&self, label: &str) -> Element {
        self.field_in(None, label).await
    }

    /// Types into the field labelled `label`, replacing what it held.
    pub async fn fill(&self, label: &str, value: &str) {
        let el = self.field(label).await;
        Self::type_into(&el, value, label).await;
    }

    /// Replaces what a text field holds by typing `value`.
    pub async fn type_into(el: &Element, value: &str, what: &str) {
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("cannot clear {what}: {e}"));
        el.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {what}: {e}"));
    }

    /// The button reading `text` (within `scope` if given).
    pub async fn button_in(&self, scope: Option<&Element>, text: &str) -> Element {
        let lit = xpath_literal(text);
        let prefix = if scope.is_some() { "." } else { "" };
        self.displayed(
            scope,
            &format!(
                "{prefix}//button[normalize-space(.)={lit}] | {prefix}//input[@type='submit' and @value={lit}]"
            ),
            &format!("button {text:?}"),
        )
        .await
    }

    /// Presses the button reading `text` and waits for the page it leads to.
    pub async fn press(&self, text: &str) {
        let b = self.button_in(None, text).await;
        self.click_to_load(&b, &format!("button {text:?}")).await;
    }

    /// [`press`] within the element of id `scope`.
    pub async fn press_in(&self, scope: &str, text: &str) {
        let s = self.by_id(scope).await;
        let b = self.button_in(Some(&s), text).await;
        self.click_to_load(&b, &format!("button {text:?} in #{scope}"))
            .await;
    }

    /// Follows the link reading `text` (exactly, after trimming).
    pub async fn follow(&self, text: &str) {
        let lit = xpath_literal(text);
        let a = self
            .displayed(
                None,
                &format!("//a[normalize-space(.)={lit}]"),
                &format!("link {text:?}"),
            )
            .await;
        self.click_to_load(&a, &format!("link {text:?}")).await;
    }

    // ----- Accounts ----------------------------------------------------------

    /// Signs in through the form as a demo person (`kevin`, `trent`…),
    /// signing whoever was signed in out first.
    pub async fn sign_in(&self, who: &str) {
        self.sign_in_with(&format!("{who}@kartel.example"), common::DEMO_PASSWORD)
            .await;
        assert!(
            !self.path().await.starts_with("/login"),
            "signing in as {who} failed; the page shows:\n{}",
            self.text().await
        );
    }

    /// Fills in and sends the sign-in form (whatever the outcome).
    pub async fn sign_in_with(&self, email: &str, password: &str) {
        self.sign_out().await;
        self.visit("/login").await;
        self.fill("Email", email).await;
        self.fill("Password", password).await;
        self.press("Sign in").await;
    }

    /// Presses "Sign out" when someone is signed in.
    pub async fn sign_out(&self) {
        let found = self
            .client
            .find_all(Locator::XPath("//button[normalize-space(.)='Sign out']"))
            .await
            .unwrap_or_default();
        if found.is_empty() {
            // Maybe on a page without the header's form: check from the home page.
            self.visit("/").await;
        }
        let found = self
            .client
            .find_all(Locator::XPath("//button[normalize-space(.)='Sign out']"))
            .await
            .unwrap_or_default();
        if let Some(b) = found.first() {
            self.click_to_load(b, "Sign out").await;
        }
    }

    // ----- axe-core ----------------------------------------------------------

    /// axe-core's violations on the page as it is now, one line each (rule,
    /// impact, help, then each node's selector, HTML and what to fix). With
    /// the rules axe-core runs by default, plus WCAG 2.2's `target-size`
    /// (every control at least 24 by 24 px, or spaced as if it were), which
    /// it leaves off: the new-WhyGO form once had 45 smaller ones.
    pub async fn axe(&self) -> Vec<String> {
        self.js(axe_source(), vec![]).await;
        let answer = self
            .client
            .execute_async(
                r"const done = arguments[arguments.length - 1];
                  axe.run(document, {
                    resultTypes: ['violations'],
                    rules: { 'target-size': { enabled: true } },
                  })
                    .then(r => done(r.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => ({
                          target: n.target.join(' '), html: n.html, summary: n.failureSummary
                        }))
                    }))))
                    .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe.run failed: {e}"));
        if let Some(e) = answer.get("error") {
            panic!("axe.run failed: {e}");
        }
        answer
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                let mut line = format!(
                    "{} ({}): {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or("")
                );
                for n in v["nodes"].as_array().into_iter().flatten() {
                    let _ = write!(
                        line,
                        "\n    at {}: {}\n      {}",
                        n["target"].as_str().unwrap_or("?"),
                        n["html"].as_str().unwrap_or(""),
                        n["summary"]
                            .as_str()
                            .unwrap_or("")
                            .replace('\n', "\n      ")
                    );
                }
                line
            })
            .collect()
    }

    /// Asserts that axe-core finds nothing on the page as it is now.
    pub async fn accessible(&self, what: &str) {
        let violations = self.axe().await;
        assert!(
            violations.is_empty(),
            "axe-core: {} violation(s) on {what} ({}):\n{}",
            violations.len(),
            self.path().await,
            violations.join("\n")
        );
    }

    /// What a same-origin GET of `path` answers, as the browser (with its
    /// cookies) gets it, following redirects: status, content type, body,
    /// and the path it ended at. The browser must be on the app's origin.
    pub async fn fetch(&self, path: &str) -> Fetched {
        let answer = self
            .client
            .execute_async(
                r"const [url, done] = arguments;
                  fetch(url, { credentials: 'same-origin', redirect: 'follow' })
                    .then(r => r.text().then(t => {
                        const u = new URL(r.url);
                        done([r.status, r.headers.get('content-type') || '', t, u.pathname + u.search]);
                    }))
                    .catch(e => done([0, '', String(e), url]));",
                vec![json!(path)],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot fetch {path}: {e}"));
        let text = |i: usize| answer[i].as_str().unwrap_or("").to_owned();
        Fetched {
            status: answer[0]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(0),
            content_type: text(1),
            body: text(2),
            path: text(3),
        }
    }

    /// The value of a field as the page holds it now.
    pub async fn value_of(el: &Element) -> String {
        el.prop("value").await.ok().flatten().unwrap_or_default()
    }
}

/// A page as [`Browser::fetch`] got it.
pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    /// Where it ended, after redirects (path and query).
    pub path: String,
}

/// axe-core's `axe.min.js`, from `tests/browser/node_modules` (installed by
/// `npm ci --prefix tests/browser`, pinned by its package-lock.json).
fn axe_source() -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the browser tests inject axe-core from {}, which cannot be read ({e}): \
                 run `npm ci --prefix tests/browser` (needs Node.js and npm; .ci/run does it)",
                path.display()
            )
        })
    })
}
