//! The explorer's page and assets over HTTP: status, media types, the Content-Security-Policy
//! (same origin only, no inline code), caching by `ETag`, and unknown names. What the page
//! does in a browser is tested by `tests/browser/` (headless Chromium).

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::{Answer, Backend, TestApp, spawn_app};

async fn app() -> TestApp {
    // The page does not touch the database: one backend is enough.
    spawn_app(Backend::Sqlite, false)
        .await
        .expect("SQLite is always available")
}

async fn get(app: &TestApp, uri: &str) -> Answer {
    app.send(Request::get(uri).body(Body::empty()).unwrap())
        .await
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// The policy's directives as `(name, sources)`.
fn directives(csp: &str) -> Vec<(&str, Vec<&str>)> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace();
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

fn assert_same_origin_only(csp: &str) {
    let directives = directives(csp);
    let find = |name: &str| {
        directives
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, sources)| sources.clone())
            .unwrap_or_else(|| panic!("no {name} in {csp}"))
    };
    assert_eq!(find("default-src"), ["'none'"]);
    for name in ["script-src", "style-src", "connect-src", "img-src"] {
        assert_eq!(find(name), ["'self'"], "{name} in {csp}");
    }
    assert_eq!(find("frame-ancestors"), ["'none'"]);
    for (name, sources) in &directives {
        for source in sources {
            assert!(
                ["'self'", "'none'"].contains(source),
                "{name} allows {source}: only 'self' is allowed"
            );
        }
    }
}

/// Every `src="…"` / `href="…"` value in `html`.
fn urls(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_is_served_with_a_strict_policy() {
    let app = app().await;
    let page = get(&app, "/explore").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.content_type(), "text/html; charset=utf-8");
    assert_same_origin_only(header(&page, "content-security-policy"));
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert!(page.body.contains("<title>studygraph explorer</title>"));
    assert!(
        page.body
            .contains(r#"<script type="module" src="/explore/assets/main.js"></script>"#)
    );
    // Only local resources, each of them served.
    let urls = urls(&page.body);
    assert!(urls.len() >= 3, "{urls:?}");
    for url in urls {
        assert!(
            url.starts_with('/') && !url.starts_with("//"),
            "non-local URL {url}"
        );
        if url.starts_with("/explore/assets/") {
            assert_eq!(get(&app, &url).await.status, StatusCode::OK, "{url}");
        }
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_have_their_media_types_and_etags() {
    let app = app().await;
    for (name, media) in [
        ("main.js", "text/javascript; charset=utf-8"),
        ("api.js", "text/javascript; charset=utf-8"),
        ("graph.js", "text/javascript; charset=utf-8"),
        ("explorer.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let uri = format!("/explore/assets/{name}");
        let asset = get(&app, &uri).await;
        assert_eq!(asset.status, StatusCode::OK, "{name}");
        assert_eq!(asset.content_type(), media, "{name}");
        assert!(!asset.body.is_empty(), "{name}");
        assert_same_origin_only(header(&asset, "content-security-policy"));
        assert_eq!(header(&asset, "x-content-type-options"), "nosniff");
        assert_eq!(header(&asset, "cache-control"), "no-cache");
        let etag = header(&asset, "etag").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

        let again = app
            .send(
                Request::get(&uri)
                    .header("if-none-match", &etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{name}");
        assert!(again.body.is_empty());
        let stale = app
            .send(
                Request::get(&uri)
                    .header("if-none-match", "\"0000000000000000\"")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(stale.status, StatusCode::OK, "{name}");
    }
    // The page's script talks to the GraphQL endpoint of the same server.
    let api = get(&app, "/explore/assets/api.js").await;
    assert!(api.body.contains("const ENDPOINT = \"/graphql\";"));
    assert!(api.body.contains("neighborhood(id: $id, depth: 1"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_assets_are_404() {
    let app = app().await;
    for uri in [
        "/explore/assets/nope.js",
        "/explore/assets/index.html",
        "/explore/assets/..%2FCargo.toml",
        "/explore/assets/",
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
    }
    app.finish().await;
}
