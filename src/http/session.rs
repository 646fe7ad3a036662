//! Sessions and CSRF, as middleware around every route.
//!
//! `load_session` reads the session cookie once per request and puts the
//! [`Session`] in the request's extensions. `csrf_guard` refuses every POST
//! whose `csrf_token` field (or `x-csrf-token` header) does not match the
//! session's token, before any handler runs: a handler cannot forget it.
//!
//! A visitor without a session (the sign-in, invitation and reset forms) gets
//! no session row: its CSRF token is a random value in a cookie of its own
//! (`whygo_csrf`) that the form must repeat (double submit). Rows are made
//! only when someone signs in, so a flood of `GET /login` writes nothing.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::{AppError, AppState};
use crate::auth::token;
use crate::db::accounts::{self, Session, SignedIn};

pub const COOKIE: &str = "whygo_session";
/// The anonymous visitor's CSRF token (see the module comment).
pub const CSRF_COOKIE: &str = "whygo_csrf";
/// How long an anonymous form's token lasts (the cookie's Max-Age).
pub const ANONYMOUS_CSRF_HOURS: i64 = 12;

pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // The API authenticates by token alone: a session cookie never opens
    // it, which is what lets its POSTs go without a CSRF token.
    if is_api(req.uri().path()) {
        return next.run(req).await;
    }
    let cookie = cookie_value(req.headers(), COOKIE);
    if let Some(value) = cookie {
        // The membership of the organization the path names comes in the
        // same statement: a tenant page then costs one round trip before
        // its own work (the tenancy extractor takes it from here).
        let slug = path_slug(req.uri().path()).map(str::to_owned);
        let as_of = super::params::request_as_of(req.uri(), state.settings.today());
        match accounts::request_context(&state.pool, &value, slug.as_deref(), as_of).await {
            Ok((Some(session), membership)) => {
                req.extensions_mut().insert(session);
                if let Some(slug) = slug {
                    req.extensions_mut()
                        .insert(PreloadedMembership { slug, membership });
                }
            }
            Ok((None, _)) => {}
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    next.run(req).await
}

/// The signed-in account's membership of the organization named by the
/// path's first segment, read with the session ([`load_session`]); `None`:
/// not a member (or no such organization).
#[derive(Clone, Debug)]
pub struct PreloadedMembership {
    pub slug: String,
    pub membership: Option<accounts::Membership>,
}

/// The path's first segment when it could be an organization's slug.
pub fn path_slug(path: &str) -> Option<&str> {
    let first = path.trim_start_matches('/').split('/').next()?;
    let ok = (1..=63).contains(&first.len())
        && first
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !first.starts_with('-');
    ok.then_some(first)
}

/// Whether the path is the machine API's (token-authenticated, no session).
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

pub async fn csrf_guard(req: Request, next: Next) -> Response {
    // The API reads no cookie (see load_session), so a forged cross-site
    // POST carries nothing it would accept: CSRF does not apply.
    if req.method() != Method::POST || is_api(req.uri().path()) {
        return next.run(req).await;
    }
    let expected = req
        .extensions()
        .get::<Session>()
        .map(|s| s.csrf_token.clone())
        .or_else(|| anonymous_token(req.headers()));
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (parts, body) = req.into_parts();
    // `guard::hostile_input` already bounded the body by the form size cap.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return AppError::BadRequest("That form was too large.".to_owned()).into_response();
    };
    let sent = header.or_else(|| {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| {
                fields
                    .into_iter()
                    .find(|(k, _)| k == "csrf_token")
                    .map(|(_, v)| v)
            })
    });
    let ok = match (expected, sent) {
        (Some(e), Some(s)) => !e.is_empty() && token::constant_time_eq(e.as_bytes(), s.as_bytes()),
        _ => false,
    };
    if !ok {
        tracing::warn!(path = %loggable_path(parts.uri.path()), "refused a POST without a valid CSRF token");
        return AppError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| Cookie::parse(c.trim().to_owned()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The anonymous CSRF token the visitor's cookie holds, if well formed.
fn anonymous_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, CSRF_COOKIE).filter(|v| is_token(v))
}

fn is_token(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The CSRF token a form for this visitor must carry: its session's, or,
/// without a session, the anonymous token of its cookie, set anew when it
/// has none (no database row either way).
pub fn form_csrf(current: Option<&Session>, jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(s) = current {
        return (jar, s.csrf_token.clone());
    }
    if let Some(v) = jar
        .get(CSRF_COOKIE)
        .map(Cookie::value)
        .filter(|v| is_token(v))
    {
        let v = v.to_owned();
        return (jar, v);
    }
    let value = token::random_hex(32);
    let mut c = Cookie::new(CSRF_COOKIE, value.clone());
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.set_max_age(time::Duration::hours(ANONYMOUS_CSRF_HOURS));
    (jar.add(c), value)
}

/// A path fit for the log: the secret of a one-time link
/// (`/{tenant}/invite/{token}`, `/{tenant}/reset/{token}`) is replaced, since
/// whoever reads the log could otherwise use the link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        ["", tenant, kind @ ("invite" | "reset"), _, rest @ ..] => {
            let mut out = format!("/{tenant}/{kind}/[redacted]");
            for r in rest {
                out.push('/');
                out.push_str(r);
            }
            std::borrow::Cow::Owned(out)
        }
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// `Cache-Control: no-store` on every page but the static files: pages show
/// one person's data (or a form's CSRF token), which no shared or browser
/// cache should keep for the next user of the machine.
pub async fn no_store(req: Request, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    if !cacheable {
        res.headers_mut()
            .entry(axum::http::header::CACHE_CONTROL)
            .or_insert(axum::http::HeaderValue::from_static("no-store"));
    }
    res
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when served over https.
pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(COOKIE, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.set_max_age(time_days(accounts::SESSION_DAYS));
    c
}

pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), secure);
    c.make_removal();
    c
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

/// Whether the request came over https (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap, force: bool) -> bool {
    force
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The address a request came from: the peer, or with `trust_proxy` the
/// address our outermost trusted proxy saw (see [`forwarded_client`]).
pub struct ClientAddress(pub String);

impl<S> FromRequestParts<S> for ClientAddress
where
    S: Send + Sync,
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = <AppState as axum::extract::FromRef<S>>::from_ref(state);
        let settings = &app.settings;
        if settings.trust_proxy {
            let hops: Vec<&str> = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            if let Some(client) = forwarded_client(&hops, settings.proxy_hops) {
                return Ok(ClientAddress(client.to_string()));
            }
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientAddress(peer))
    }
}

/// The client address from `X-Forwarded-For` header lines (in order), behind
/// `trusted` proxies of our own. Each proxy appends the address it saw, so
/// only the right-most `trusted` entries were written by us; everything to
/// their left is whatever the client sent and may be forged. The entry our
/// outermost proxy appended is the `trusted`-th from the right (or the
/// left-most when the chain is shorter). None when that entry is not an IP
/// address: the caller falls back to the peer.
pub fn forwarded_client(lines: &[&str], trusted: usize) -> Option<std::net::IpAddr> {
    let entries: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let index = entries.len().saturating_sub(trusted.max(1));
    entries.get(index)?.parse().ok()
}

/// The current session, if any (signed in or anonymous).
pub struct MaybeSession(pub Option<Session>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeSession(parts.extensions.get::<Session>().cloned()))
    }
}

/// A signed-in account; anyone else is sent to the sign-in page.
pub struct Account {
    pub account: SignedIn,
    pub session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for Account {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned();
        let signed_in = session.and_then(|s| s.account().map(|a| (a, s)));
        match signed_in {
            Some((account, session)) => Ok(Account { account, session }),
            None => Err(AppError::SignInRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    fn ip(s: &str) -> Option<std::net::IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn the_hop_our_proxy_added_is_taken_not_the_one_the_client_wrote() {
        assert_eq!(
            forwarded_client(&["6.6.6.6, 203.0.113.7"], 1),
            ip("203.0.113.7")
        );
        assert_eq!(
            forwarded_client(&["6.6.6.6", "203.0.113.7"], 1),
            ip("203.0.113.7"),
            "several header lines read as one list"
        );
        assert_eq!(forwarded_client(&["203.0.113.7"], 1), ip("203.0.113.7"));
    }

    #[test]
    fn with_two_trusted_proxies_the_second_from_the_right_is_the_client() {
        assert_eq!(
            forwarded_client(&["6.6.6.6, 203.0.113.7, 10.0.0.2"], 2),
            ip("203.0.113.7")
        );
        assert_eq!(
            forwarded_client(&["203.0.113.7"], 2),
            ip("203.0.113.7"),
            "a shorter chain: the left-most entry"
        );
    }

    #[test]
    fn one_time_link_secrets_never_reach_the_log() {
        use super::loggable_path;
        assert_eq!(
            loggable_path("/kartel/reset/0123abcd"),
            "/kartel/reset/[redacted]"
        );
        assert_eq!(
            loggable_path("/kartel/invite/0123abcd/x"),
            "/kartel/invite/[redacted]/x"
        );
        assert_eq!(
            loggable_path("/kartel/people/reset"),
            "/kartel/people/reset"
        );
        assert_eq!(loggable_path("/kartel/reset"), "/kartel/reset");
    }

    #[test]
    fn no_header_or_garbage_gives_no_address() {
        assert_eq!(forwarded_client(&[], 1), None);
        assert_eq!(forwarded_client(&["not-an-ip"], 1), None);
        assert_eq!(forwarded_client(&[" , "], 1), None);
    }
}
