//! Per-client rate limiting for `/graphql` and `/export`: a token bucket per valid API key (or,
//! without one, per client address). An empty bucket answers 429 with `Retry-After` and `RATE_LIMITED`.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::key_check;
use crate::auth::Caller;
use crate::db::Db;

/// Buckets kept before idle, full ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct RateLimiter(Arc<Inner>);

struct Inner {
    /// Requests a client may send in a burst, and per minute on average.
    per_minute: f64,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self(Arc::new(Inner {
            per_minute: per_minute as f64,
            buckets: Mutex::new(HashMap::new()),
        }))
    }

    /// Takes a token for `client`; `Err(seconds)` says when the next one is due.
    fn take(&self, client: u64, now: Instant) -> Result<(), u64> {
        let per_second = self.0.per_minute / 60.0;
        let mut buckets = self.0.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let full = self.0.per_minute;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < full
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.0.per_minute,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(self.0.per_minute);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The caller the limiter identified, kept in the request's extensions so that the handler
/// does not look its key up a second time.
#[derive(Clone)]
pub struct Identified(pub Caller);

/// Who a request counts against: a valid key by its name, anything else (no key, a bad,
/// unknown or revoked one) by the client's address. Keyed by the raw header, every made-up
/// token had a fresh bucket, and reads (which ignore bad keys) were not limited at all.
fn client_of(caller: &Caller, address: Option<std::net::IpAddr>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    match caller {
        Caller::Key { name, .. } => ("key", name).hash(&mut hasher),
        Caller::Anonymous | Caller::Rejected(_) => ("address", address).hash(&mut hasher),
    }
    hasher.finish()
}

/// The middleware.
pub async fn limit(
    State((limiter, db, request_timeout)): State<(RateLimiter, Db, Duration)>,
    mut request: Request,
    next: Next,
) -> Response {
    // The playground page is no API request (its scripts' requests are): loading it cost a
    // token, and a browser could be answered a JSON 429 instead of the page.
    let query = request.uri().query().unwrap_or("");
    if super::graphql::asks_for_the_page(request.method(), request.headers(), query) {
        return next.run(request).await;
    }
    let media = super::graphql::negotiate(request.headers()).unwrap_or(super::graphql::JSON);
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or("").to_owned());
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let caller = match key_check::identify(&db, request_timeout, header.as_deref()).await {
        Ok(caller) => caller,
        Err(failed) => return failed.into_response(media),
    };
    let client = client_of(&caller, address);
    request.extensions_mut().insert(Identified(caller));
    match limiter.take(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => {
            let message = format!(
                "too many requests: at most {} a minute; retry in {retry_after} s",
                limiter.0.per_minute
            );
            let mut response = super::graphql::refuse(
                StatusCode::TOO_MANY_REQUESTS,
                media,
                "RATE_LIMITED",
                &message,
            );
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn buckets_refill_over_time_and_are_per_client() {
        let limiter = RateLimiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.take(1, start).is_ok());
        }
        assert_eq!(limiter.take(1, start), Err(1), "empty: one token a second");
        assert!(
            limiter.take(2, start).is_ok(),
            "another client has its own bucket"
        );
        assert!(
            limiter.take(1, start + Duration::from_secs(1)).is_ok(),
            "refilled"
        );
    }
}
