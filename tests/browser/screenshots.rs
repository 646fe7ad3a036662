//! The README's screenshots, taken by this run: the first screen of the
//! dashboard a leader opens and of a person's check-in, at a laptop's and a
//! phone's size, written to `docs/screenshots/` (the app's clock is pinned
//! to the tests' day, so a run changes them only when the pages change).
//! Each is taken after asserting what that first screen must hold.

use std::path::PathBuf;

use crate::harness::{Browser, DESKTOP, PHONE, run_sized};

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
}

/// Where the top and bottom of the first element `selector` finds are, in
/// CSS pixels from the top of the page.
async fn top_and_bottom(b: &Browser, selector: &str) -> (f64, f64) {
    let v = b
        .js(
            "const el = document.querySelector(arguments[0]);
             if (!el) { return null; }
             const r = el.getBoundingClientRect();
             return [r.top + window.scrollY, r.bottom + window.scrollY];",
            vec![selector.into()],
        )
        .await;
    let (Some(top), Some(bottom)) = (v[0].as_f64(), v[1].as_f64()) else {
        panic!("nothing on {} matches {selector}", b.path().await);
    };
    (top, bottom)
}

/// Saves the visible part of the page as `docs/screenshots/<name>.png`.
async fn shoot(b: &Browser, name: &str) {
    b.js("window.scrollTo(0, 0);", vec![]).await;
    let png = b
        .client
        .screenshot()
        .await
        .unwrap_or_else(|e| panic!("a screenshot of {name}: {e}"));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{name}: not a PNG of a page ({} bytes)",
        png.len()
    );
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir).expect("docs/screenshots");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("save the screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_screenshots_show_the_figures_and_the_check_in_in_the_first_screen() {
    for (size, suffix) in [(DESKTOP, ""), (PHONE, "-phone")] {
        run_sized(&format!("screenshots{suffix}"), size, |b| async move {
            b.sign_in("kevin").await;
            b.visit("/kartel").await;
            // The first screen: the window's height less the browser's own.
            let screen = b
                .js("return window.innerHeight;", vec![])
                .await
                .as_f64()
                .unwrap_or(f64::from(size.1));
            // The figures a leader reads first: in full on the first screen.
            let (_, figures_end) = top_and_bottom(&b, ".figures-strip").await;
            assert!(
                figures_end <= screen,
                "the dashboard's figures end at {figures_end} px, below the first screen ({screen} px)"
            );
            // Then the escalations: on a laptop, they start on that screen too.
            if size == DESKTOP {
                let (escalations, _) = top_and_bottom(&b, "h2#escalations").await;
                assert!(
                    escalations < screen,
                    "the escalations start at {escalations} px, below the first screen ({screen} px)"
                );
            }
            let (_, header_end) = top_and_bottom(&b, "body > header").await;
            assert!(
                header_end <= screen * 0.2,
                "the header takes {header_end} of the screen's {screen} px"
            );
            shoot(&b, &format!("dashboard{suffix}")).await;

            b.sign_in("trent").await;
            b.visit("/kartel/checkin").await;
            // On a laptop the first value field is on the first screen; on a
            // phone, the first outcome's card starts there.
            let first = if size == DESKTOP {
                "form input[name^='value-']"
            } else {
                "form article.checkin-row"
            };
            let (first_top, _) = top_and_bottom(&b, first).await;
            assert!(
                first_top < screen,
                "the check-in's first {first} starts at {first_top} px, below the first screen \
                 ({screen} px)"
            );
            shoot(&b, &format!("checkin{suffix}")).await;
        })
        .await;
    }
}
