//! Helpers for the dashboard's browser tests: finding Chromium and chromedriver (or skipping
//! with `SAMPARK_SKIP_BROWSER=1`), starting a headless Chromium on a fresh profile at 1366×768,
//! processes ended with their group, and reading, clicking and typing in the page.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long the page may take to show what a step expects.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A child process (and everything it started, in its process group), ended when dropped.
pub struct Proc {
    pub child: Child,
    group: bool,
}

impl Proc {
    pub fn spawn(command: &mut Command, log: &Path, group: bool) -> Proc {
        if group {
            command.process_group(0);
        }
        let log = std::fs::File::create(log).unwrap();
        let child = command.stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log).spawn().unwrap();
        Proc { child, group }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group {
            // chromedriver and the browsers it started: their whole group, by its ID.
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-s", "TERM", "--", &group]).status();
            std::thread::sleep(Duration::from_millis(300));
            let _ = Command::new("kill").args(["-s", "KILL", "--", &group]).status();
        } else {
            let _ = Command::new("kill").args(["-s", "TERM", "--", &self.child.id().to_string()]).status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|n| std::env::split_paths(&path).map(move |dir| dir.join(n))).find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` when the run may skip (`SAMPARK_SKIP_BROWSER=1`).
pub fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = on_path(&["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let missing: Vec<&str> = [(c.is_none(), "chromium"), (d.is_none(), "chromedriver")]
                .iter()
                .filter(|m| m.0)
                .map(|m| m.1)
                .collect();
            let why = format!(
                "the dashboard test needs a real browser, but {} cannot be found on PATH; install the \
                 Debian packages with `apt-get install chromium chromium-driver` (.ci/run does)",
                missing.join(" and ")
            );
            if std::env::var("SAMPARK_SKIP_BROWSER").is_ok_and(|v| v == "1") {
                eprintln!("skipped (SAMPARK_SKIP_BROWSER=1): {why}");
                return None;
            }
            panic!("{why}; or set SAMPARK_SKIP_BROWSER=1 to skip it on this machine");
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_until<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = ready() {
            return v;
        }
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// chromedriver on a free port (its log in `dir`) and a headless Chromium on a fresh profile in
/// `dir`, at 1366×768. The browser is ended with the returned process.
pub async fn launch((chromium, chromedriver): (PathBuf, PathBuf), dir: &Path) -> (Client, Proc) {
    let driver_port = free_port();
    let driver = Proc::spawn(
        Command::new(&chromedriver).arg(format!("--port={driver_port}")),
        &dir.join("chromedriver.log"),
        true,
    );
    wait_until("chromedriver", || TcpStream::connect(("127.0.0.1", driver_port)).ok());
    let profile = dir.join("chromium-profile");
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": p(&chromium),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                format!("--user-data-dir={}", p(&profile)), "--window-size=1366,768",
            ],
        },
    });
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("chromedriver did not start a browser session");
    (c, driver)
}

/// Runs `script` in the page and returns its value.
pub async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// The visible text of the first element matching `css` ("" when there is none).
pub async fn text(c: &Client, css: &str) -> String {
    let v = c
        .execute("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", vec![json!(css)])
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_owned()
}

/// Waits until the text of `css` satisfies `ok`; returns it.
pub async fn wait_text(c: &Client, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let t = text(c, css).await;
        if ok(&t) {
            return t;
        }
        if started.elapsed() > PATIENCE {
            let page = text(c, "body").await;
            panic!("timed out waiting for {what} in {css}: it shows {t:?}\nthe page shows:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves what the page shows as `NAME.png`, for people to look at: in `SAMPARK_DASHBOARD_SHOTS`
/// when it is set, otherwise in `target/tmp/dashboard-screenshots/`.
pub async fn shot(c: &Client, name: &str) {
    let dir = std::env::var_os("SAMPARK_DASHBOARD_SHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.png"));
    std::fs::write(&file, c.screenshot().await.unwrap()).unwrap();
    println!("screenshot: {}", file.display());
}

/// Clicks the element matching `css`, waiting for it, and again if the page redrew it meanwhile.
pub async fn click(c: &Client, css: &str) {
    let started = Instant::now();
    loop {
        let clicked = match c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await,
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) if started.elapsed() > PATIENCE => panic!("could not click {css}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

pub async fn type_into(c: &Client, css: &str, keys: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(keys).await.unwrap();
}

/// The JSON of a GET to the API, fetched by the page with its session.
pub async fn api(c: &Client, path: &str) -> Value {
    c.execute_async(
        "const done = arguments[arguments.length - 1];
         fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.json()).then(done, e => done({error: String(e)}));",
        vec![json!(path)],
    )
    .await
    .unwrap()
}
