//! The browser playground behind `GET /graphql`: GraphiQL with its assets embedded in the
//! binary (no CDN), or a small built-in page when the build had no npm.
//!
//! `build.rs` fetches the GraphiQL/React bundles pinned in
//! `playground/package-lock.json` and sets `cfg(playground_full)` when it
//! succeeded; the bundles are then served from `/playground/assets/{name}`.
//! Without it (no npm, no network, or `STUDYGRAPH_PLAYGROUND=fallback`) the
//! page is our own dependency-free HTML+JS form and [`asset`] always answers
//! 404. Either way the page references no external URL, so it works on closed
//! networks.

use std::fmt::Write as _;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// GraphiQL page; loads its scripts from `/playground/assets/`.
#[cfg_attr(not(any(playground_full, test)), allow(dead_code))]
const FULL_TEMPLATE: &str = include_str!("playground_template.html");

/// Self-written page used when the GraphiQL assets were not built.
#[cfg_attr(all(playground_full, not(test)), allow(dead_code))]
const FALLBACK_TEMPLATE: &str = include_str!("playground_fallback.html");

/// Example queries preloaded into the playground: `(title, query)`. The first
/// one is the default query.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "Follow a report to its datasets",
        r#"# Follow a report to its datasets, their producers, and their other publications
{ publication(ncjNumber: "216547") {
    title publishedOn { iso text } physicalDescription placeOfProduction
    producers { role producer { name fullName ancestors { name } } }
    relatedDatasets(first: 5) { totalCount edges { relationType source node {
      studyNumber doi title
      producers { role producer { name } }
      relatedPublications(first: 5) { totalCount nodes { title } } } } } } }
"#,
    ),
    (
        "Page through publications",
        r#"# Page through publications
{ publications(first: 10) { totalCount pageInfo { hasNextPage endCursor } nodes { id ncjNumber title publishedOn { text } } } }
"#,
    ),
    (
        "An agency and its subunits",
        r#"# An agency and its subunits
{ producer(name: "National Institute of Justice") { name fullName parent { name } ancestors { name }
    publications(includeSubunits: true, first: 5) { totalCount nodes { title } } } }
"#,
    ),
];

/// An embedded static file.
#[cfg_attr(not(playground_full), allow(dead_code))]
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Keep in sync with `ASSETS` in `build.rs`.
#[cfg(playground_full)]
static ASSETS: &[Asset] = &[
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(
            env!("OUT_DIR"),
            "/playground-assets/react.production.min.js"
        )),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(
            env!("OUT_DIR"),
            "/playground-assets/react-dom.production.min.js"
        )),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!(concat!(
            env!("OUT_DIR"),
            "/playground-assets/graphiql.min.js"
        )),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!(concat!(
            env!("OUT_DIR"),
            "/playground-assets/graphiql.min.css"
        )),
    },
];

#[cfg(not(playground_full))]
static ASSETS: &[Asset] = &[];

/// Changes whenever the embedded assets do; appended as `?v=` to their URLs
/// so browsers don't keep a stale cached copy after an upgrade.
#[cfg(playground_full)]
const STAMP: &str = env!("STUDYGRAPH_PLAYGROUND_STAMP");
#[cfg(not(playground_full))]
const STAMP: &str = "none";

/// The playground page for `GET /graphql` from a browser; `endpoint` is the GraphQL URL path (e.g. "/graphql").
pub fn page(endpoint: &str) -> Html<String> {
    #[cfg(playground_full)]
    let template = FULL_TEMPLATE;
    #[cfg(not(playground_full))]
    let template = FALLBACK_TEMPLATE;
    Html(render(template, endpoint))
}

/// Serves embedded playground assets under `/playground/assets/{name}`; unknown names → 404.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            a.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "unknown playground asset").into_response(),
    }
}

/// Fills the `{{ENDPOINT}}`, `{{EXAMPLES}}` and `{{STAMP}}` placeholders in one
/// pass (so a placeholder-looking endpoint can't be expanded twice).
fn render(template: &str, endpoint: &str) -> String {
    let mut out = String::with_capacity(template.len() + 2048);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match &after[..end] {
            "ENDPOINT" => out.push_str(&js_string(endpoint)),
            "EXAMPLES" => out.push_str(&examples_js()),
            "STAMP" => out.push_str(STAMP),
            _ => {
                // Not ours: keep the text as it is.
                out.push_str("{{");
                rest = after;
                continue;
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `[{"title": …, "query": …}, …]` as a JavaScript expression.
fn examples_js() -> String {
    let items: Vec<String> = EXAMPLES
        .iter()
        .map(|(title, query)| {
            format!(
                "{{\"title\":{},\"query\":{}}}",
                js_string(title),
                js_string(query)
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// A double-quoted JavaScript string literal that is also safe inside an HTML
/// `<script>` element (no `<`, `>`, `&`, quotes or line separators left raw).
fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\'' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every `src="…"` / `href="…"` value in `html`.
    pub(crate) fn urls(html: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for attr in ["src=\"", "href=\""] {
            let mut rest = html;
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                let end = rest.find('"').expect("unterminated attribute");
                found.push(&rest[..end]);
                rest = &rest[end..];
            }
        }
        found
    }

    fn assert_self_contained(html: &str) {
        for url in urls(html) {
            assert!(
                (url.starts_with('/') && !url.starts_with("//")) || url.starts_with("data:"),
                "page references a non-local URL: {url}"
            );
        }
        assert!(!html.contains("http://"), "page contains an http:// URL");
        assert!(!html.contains("https://"), "page contains an https:// URL");
        assert!(!html.contains("{{"), "unexpanded placeholder left in page");
    }

    #[test]
    fn served_page_has_no_external_urls() {
        let Html(html) = page("/graphql");
        assert_self_contained(&html);
        assert!(html.contains("<title>studygraph playground</title>"));
        assert!(html.contains(r#"var endpoint = "/graphql";"#));
        assert!(html.contains("application/graphql-response+json, application/json"));
        assert!(html.contains("National Institute of Justice"));
    }

    #[test]
    fn both_templates_are_self_contained() {
        for template in [FULL_TEMPLATE, FALLBACK_TEMPLATE] {
            let html = render(template, "/graphql");
            assert_self_contained(&html);
            assert!(html.contains("216547"));
            assert!(html.contains("publications(first: 10)"));
        }
        // The GraphiQL page only loads what `asset` serves in a full build.
        let html = render(FULL_TEMPLATE, "/graphql");
        let scripts: Vec<&str> = urls(&html)
            .into_iter()
            .filter(|u| !u.starts_with("data:"))
            .map(|u| u.strip_prefix("/playground/assets/").expect("asset URL"))
            .map(|u| u.split('?').next().unwrap())
            .collect();
        assert_eq!(
            scripts.len(),
            4,
            "expected css + react + react-dom + graphiql: {scripts:?}"
        );
        if cfg!(playground_full) {
            for name in scripts {
                assert!(ASSETS.iter().any(|a| a.name == name), "{name} not embedded");
            }
        }
    }

    #[test]
    fn endpoint_cannot_break_out_of_the_script() {
        let html = render(
            FALLBACK_TEMPLATE,
            "/x\"</script><script>alert(1)//{{EXAMPLES}}",
        );
        assert!(!html.contains("</script><script>alert"));
        assert!(html.contains(
            r#"var endpoint = "/x\"\u003c/script\u003e\u003cscript\u003ealert(1)//{{EXAMPLES}}";"#
        ));
    }

    #[tokio::test]
    async fn unknown_asset_is_404() {
        for name in ["nope.js", "../Cargo.toml", "", ".stamp"] {
            let res = asset(Path(name.to_string())).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name:?}");
        }
    }

    #[tokio::test]
    async fn embedded_assets_are_served_with_cache_headers() {
        for a in ASSETS {
            let res = asset(Path(a.name.to_string())).await;
            assert_eq!(res.status(), StatusCode::OK);
            let headers = res.headers();
            assert_eq!(headers[header::CONTENT_TYPE], a.content_type);
            assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=86400");
            assert!(!a.bytes.is_empty());
        }
        assert_eq!(ASSETS.is_empty(), !cfg!(playground_full));
    }
}
