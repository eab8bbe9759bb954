//! HTTP caching of queries sent by hash over GET (a persisted query or a `documentId`): a
//! successful anonymous answer is `Cache-Control: public, max-age=N` with a strong `ETag` (a
//! hash of the media type and body), and `If-None-Match` with that tag gets `304 Not Modified`
//! without a body. Answers with errors, and anything sent with credentials, are `no-store`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// A strong entity tag for a representation, its media type and body: 128 bits of their
/// SHA-256, quoted. The same body as another media type is another representation, so it has
/// another tag (RFC 9110, 8.8.3).
pub fn etag_of(media: &str, body: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(media.as_bytes())
        .chain_update([0])
        .chain_update(body)
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` (a list of tags, or `*`) names `etag`. The comparison is weak, as
/// RFC 9110 says for this header: `W/"x"` matches `"x"`.
pub fn none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The answer to a GET by hash: `(status, media type, body)` as executed, `errors` when the
/// response holds any, `credentials` when the request sent an `Authorization` header.
pub fn answer_by_hash(
    request: &HeaderMap,
    (status, media, body): (StatusCode, &'static str, Vec<u8>),
    errors: bool,
    credentials: bool,
    max_age: u32,
) -> Response {
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static(media))];
    if status != StatusCode::OK || errors || credentials {
        let mut response = (status, content_type, body).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    let etag = etag_of(media, &body);
    let mut response = if none_match(request, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (status, content_type, body).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    // The body's media type follows the request's Accept header.
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let etag = etag_of("application/json", b"{}");
        assert_eq!(etag.len(), 34);
        assert_ne!(etag, etag_of("application/graphql-response+json", b"{}"));
        let mut headers = HeaderMap::new();
        assert!(!none_match(&headers, &etag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"other\", W/{etag}")).unwrap(),
        );
        assert!(none_match(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!none_match(&headers, &etag));
    }
}
