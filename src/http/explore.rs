//! The visual explorer at `GET /explore`: our own page, script modules and stylesheet from
//! `explorer/`, embedded in the binary and served under `/explore/assets/{name}`.
//!
//! The page draws the neighborhood of a search hit as a graph and talks only to `/graphql`.
//! It has no inline script or style, so its Content-Security-Policy allows nothing but
//! same-origin resources. Assets carry an `ETag` and `Cache-Control: no-cache`: browsers
//! revalidate them (a 304 when unchanged), so an upgraded binary never meets a stale module.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The page's and the assets' policy: same-origin scripts, styles, images and requests only;
/// no inline code, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const PAGE: &str = include_str!("../../explorer/index.html");

/// An embedded file of the explorer.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    Asset {
        name: "main.js",
        content_type: JS,
        bytes: include_bytes!("../../explorer/main.js"),
    },
    Asset {
        name: "api.js",
        content_type: JS,
        bytes: include_bytes!("../../explorer/api.js"),
    },
    Asset {
        name: "graph.js",
        content_type: JS,
        bytes: include_bytes!("../../explorer/graph.js"),
    },
    Asset {
        name: "explorer.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../explorer/explorer.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../explorer/favicon.svg"),
    },
];

/// Headers every explorer response carries.
fn common_headers(content_type: &'static str) -> [(header::HeaderName, HeaderValue); 5] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ]
}

/// `GET /explore`.
pub async fn page() -> Response {
    (common_headers("text/html; charset=utf-8"), PAGE).into_response()
}

/// `GET /explore/assets/{name}`; unknown names → 404, a matching `If-None-Match` → 304.
pub async fn asset(
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "unknown explorer asset").into_response();
    };
    let etag = super::cache::etag_of(asset.content_type, asset.bytes);
    let etag_value = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    let fresh = super::cache::none_match(&headers, &etag);
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag_value),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
        )
            .into_response();
    }
    (
        common_headers(asset.content_type),
        [(header::ETAG, etag_value)],
        asset.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::playground::tests::urls;

    #[test]
    fn page_loads_only_embedded_assets() {
        for url in urls(PAGE) {
            assert!(
                url.starts_with('/') && !url.starts_with("//"),
                "page references a non-local URL: {url}"
            );
            if let Some(name) = url.strip_prefix("/explore/assets/") {
                assert!(ASSETS.iter().any(|a| a.name == name), "{name} not embedded");
            }
        }
    }

    #[test]
    fn no_inline_script_or_style() {
        // The CSP forbids them; the browser would silently ignore them.
        assert!(!PAGE.contains("<style"), "inline <style> in the page");
        assert!(!PAGE.contains("style=\""), "style attribute in the page");
        let handler = PAGE.match_indices(" on").any(|(i, _)| {
            let name: String = PAGE[i + 3..]
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            PAGE[i + 3 + name.len()..].starts_with('=')
        });
        assert!(!handler, "inline event handler in the page");
        let mut rest = PAGE;
        while let Some(i) = rest.find("<script") {
            rest = &rest[i..];
            let open_end = rest.find('>').expect("unterminated <script>");
            assert!(
                rest[..open_end].contains("src="),
                "inline <script> in the page"
            );
            assert!(
                rest[open_end + 1..].starts_with("</script>"),
                "script with a body"
            );
            rest = &rest[open_end..];
        }
        for asset in ASSETS.iter().filter(|a| a.content_type == JS) {
            let text = std::str::from_utf8(asset.bytes).expect("UTF-8 script");
            for banned in [
                "eval(",
                "new Function",
                "innerHTML",
                "setAttribute(\"style\"",
            ] {
                assert!(!text.contains(banned), "{} uses {banned}", asset.name);
            }
        }
    }

    #[test]
    fn module_imports_are_embedded() {
        for asset in ASSETS.iter().filter(|a| a.content_type == JS) {
            let text = std::str::from_utf8(asset.bytes).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let spec = line
                    .split(" from \"./")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .unwrap_or_else(|| panic!("{}: unexpected import: {line}", asset.name));
                assert!(
                    ASSETS.iter().any(|a| a.name == spec),
                    "{} imports {spec}, which is not embedded",
                    asset.name
                );
            }
        }
    }
}
