//! Single sign-on's pages: an admin's settings (`/{tenant}/admin/sso`), an
//! organization's sign-in page (`/{tenant}/sso`), leaving for the provider
//! (`POST /{tenant}/sso/start`) and coming back (`/{tenant}/sso/callback`),
//! and the buttons of the sign-in page. The work is [`crate::app::sso`].
//!
//! The attempt is bound to the browser that started it by a cookie of its
//! own (`whygo_sso`, on `/{tenant}/sso` only): SameSite=Lax, so the
//! provider's redirect back, a top-level GET, carries it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::auth::{SIGN_IN_LIMITS, safe_next, start_session};
use super::error::render;
use super::session::{self, ClientAddress, MaybeSession};
use super::view::Chrome;
use super::{AppError, AppState, Tenancy};
use crate::app::FieldErrors;
use crate::app::sso::{self as service, Callback, Denied, NotStarted, Saved, SsoInput};
use crate::auth::token;
use crate::db::{self, accounts};
use crate::domain::sso::Refusal;
use crate::http::params::{Form, Path, Query};

/// The cookie binding an attempt to its browser.
pub const BROWSER_COOKIE: &str = "whygo_sso";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/admin/sso", get(settings_form).post(save))
        .route("/{tenant}/sso", get(page))
        .route("/{tenant}/sso/start", post(start))
        .route("/{tenant}/sso/callback", get(callback))
}

/// The address the provider sends people back to: under the public address
/// when one is set (`--public-url`), else this server as the request reached
/// it (scheme from `X-Forwarded-Proto` or `--secure-cookies`, host from
/// `Host`), so what the admin page shows is what the sign-in sends.
pub fn redirect_uri(headers: &HeaderMap, secure: bool, public: Option<&str>, slug: &str) -> String {
    if let Some(public) = public {
        return format!("{}/{slug}/sso/callback", public.trim_end_matches('/'));
    }
    let scheme = if session::is_https(headers, secure) {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}/{slug}/sso/callback")
}

// ----- the admin's settings -----

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/sso.html")]
struct SettingsPage {
    chrome: Chrome,
    slug: String,
    form: SsoInput,
    secret_set: bool,
    redirect_uri: String,
    errors: FieldErrors,
    notice: Option<&'static str>,
}

impl SettingsPage {
    /// The page of `form`, with the redirect address this request shows.
    fn new(
        state: &AppState,
        tenancy: &Tenancy,
        headers: &HeaderMap,
        form: SsoInput,
        secret_set: bool,
    ) -> SettingsPage {
        let slug = tenancy.tenant.slug.clone();
        SettingsPage {
            chrome: tenancy.chrome(),
            redirect_uri: redirect_uri(
                headers,
                state.settings.secure_cookies,
                state.settings.public_url.as_deref(),
                &slug,
            ),
            slug,
            form,
            secret_set,
            errors: FieldErrors::default(),
            notice: None,
        }
    }
}

async fn settings_form(
    State(state): State<AppState>,
    tenancy: Tenancy,
    headers: HeaderMap,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let stored = service::settings(&state.pool, &tenancy.acting()).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Single sign-on settings saved."),
        Some("unchanged") => Some("Nothing to save: nothing changed."),
        _ => None,
    };
    let page = SettingsPage {
        notice,
        ..SettingsPage::new(
            &state,
            &tenancy,
            &headers,
            SsoInput::of(stored.as_ref()),
            stored.is_some(),
        )
    };
    Ok(render(&page)?.into_response())
}

async fn save(
    State(state): State<AppState>,
    tenancy: Tenancy,
    headers: HeaderMap,
    Form(input): Form<SsoInput>,
) -> Result<Response, AppError> {
    let actor = tenancy.acting();
    let slug = tenancy.tenant.slug.clone();
    let done = match service::save(&state.pool, &actor, &input).await? {
        Saved::Saved => "saved",
        Saved::Unchanged => "unchanged",
        Saved::Invalid(errors) => {
            let stored = service::settings(&state.pool, &actor).await?;
            let page = SettingsPage {
                errors,
                ..SettingsPage::new(
                    &state,
                    &tenancy,
                    &headers,
                    input.without_secret(),
                    stored.is_some(),
                )
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    Ok(Redirect::to(&format!("/{slug}/admin/sso?done={done}")).into_response())
}

// ----- the sign-in page's buttons -----

/// A "Sign in to … with …" button: the organization's slug, the words, and
/// where to go after.
pub struct Button {
    pub slug: String,
    pub label: String,
    pub next: String,
}

/// The buttons of the sign-in page, one per organization whose single
/// sign-on is on; `next` goes with the organization it is in.
pub async fn buttons(state: &AppState, next: &str) -> Result<Vec<Button>, AppError> {
    Ok(service::sign_in_choices(&state.pool)
        .await?
        .into_iter()
        .map(|(slug, label)| {
            let here = next == format!("/{slug}") || next.starts_with(&format!("/{slug}/"));
            let next = if here {
                next.to_owned()
            } else {
                format!("/{slug}")
            };
            Button { slug, label, next }
        })
        .collect())
}

// ----- an organization's sign-in page -----

#[derive(Template)]
#[template(path = "sso.html")]
struct SsoPage {
    chrome: Chrome,
    slug: String,
    organization: String,
    label: String,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The tenant of the path, or 404.
async fn tenant(state: &AppState, slug: &str) -> Result<db::plan::TenantRow, AppError> {
    db::plan::tenant_by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// `/{tenant}/sso`: the organization's one button (a page to bookmark or
/// link to); 404 when the organization offers no single sign-on.
async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    MaybeSession(current): MaybeSession,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let tenant = tenant(&state, &slug).await?;
    let label = service::offered(&state.pool, &tenant)
        .await?
        .ok_or(AppError::NotFound)?;
    let secure = session::is_https(&headers, state.settings.secure_cookies);
    let (jar, csrf) = session::form_csrf(current.as_ref(), jar, secure);
    let next = match safe_next(q.next.as_deref()) {
        n if n.starts_with(&format!("/{slug}")) => n,
        _ => format!("/{slug}"),
    };
    let page = SsoPage {
        chrome: Chrome {
            csrf,
            user: current
                .as_ref()
                .and_then(accounts::Session::account)
                .map(|a| a.name),
            ..Chrome::default()
        },
        organization: tenant.name,
        slug,
        label,
        next,
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
struct StartForm {
    next: Option<String>,
}

/// Leaves for the provider: keeps the attempt and sends the browser to the
/// provider's authorization endpoint.
async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<StartForm>,
) -> Result<Response, AppError> {
    let tenant = tenant(&state, &slug).await?;
    let next = safe_next(form.next.as_deref());
    let secure = session::is_https(&headers, state.settings.secure_cookies);
    // One value per browser: attempts started in two tabs both stay good.
    let browser = jar
        .get(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| token::random_hex(32));
    let redirect = redirect_uri(
        &headers,
        state.settings.secure_cookies,
        state.settings.public_url.as_deref(),
        &slug,
    );
    let begun = service::begin(
        &state.pool,
        &tenant,
        &service::Start {
            redirect_uri: &redirect,
            next: &next,
            browser: &browser,
            address: &address,
        },
    )
    .await;
    match begun {
        Ok(url) => {
            let mut c = Cookie::new(BROWSER_COOKIE, browser);
            c.set_http_only(true);
            c.set_same_site(SameSite::Lax);
            c.set_path(format!("/{slug}/sso"));
            c.set_secure(secure);
            c.set_max_age(time::Duration::minutes(crate::db::sso::ATTEMPT_MINUTES));
            Ok((jar.add(c), Redirect::to(&url)).into_response())
        }
        Err(NotStarted::NotOffered) => Err(AppError::NotFound),
        Err(NotStarted::TooMany) => Ok(refused_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins under way",
            format!(
                "Too many sign-ins from your network are waiting for the provider. Finish one, or wait {} minutes and try again.",
                crate::db::sso::ATTEMPT_MINUTES
            ),
            &slug,
        )?),
        Err(NotStarted::Provider(problem)) => {
            tracing::warn!(%problem, "single sign-on could not start");
            Ok(refused_page(
                StatusCode::BAD_GATEWAY,
                "Your organization's sign-in service did not answer",
                format!(
                    "whygo could not reach the single sign-on provider of {}. Try again in a few minutes; if it goes on, tell an admin of your organization.",
                    tenant.name
                ),
                &slug,
            )?)
        }
        Err(NotStarted::Refused(r)) => Err(r.into()),
    }
}

// ----- coming back -----

#[derive(Template)]
#[template(path = "sso_refused.html")]
struct RefusedPage {
    chrome: Chrome,
    title: String,
    message: String,
    /// The sign-in page, to start again.
    again: String,
}

fn refused_page(
    status: StatusCode,
    title: &str,
    message: String,
    slug: &str,
) -> Result<Response, AppError> {
    let page = RefusedPage {
        chrome: Chrome::default(),
        title: title.to_owned(),
        message,
        again: format!("/login?next=%2F{slug}"),
    };
    Ok((status, render(&page)?).into_response())
}

/// The page for each refusal: its status, title and sentence.
fn denial(denied: &Denied, organization: &str) -> (StatusCode, &'static str, String) {
    let again = "Start again from the sign-in page.";
    match denied {
        Denied::Limited(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins",
            format!(
                "Too many sign-ins from your network failed. Wait {} minutes and try again.",
                super::auth::FAILURE_WINDOW_MINUTES
            ),
        ),
        Denied::UnknownState => (
            StatusCode::BAD_REQUEST,
            "This sign-in could not be checked",
            format!(
                "whygo did not start this sign-in in this browser, or it was used already, or its address was changed on the way. Nobody was signed in. {again}"
            ),
        ),
        Denied::Expired => (
            StatusCode::BAD_REQUEST,
            "This sign-in took too long",
            format!(
                "A sign-in must come back from the provider within {} minutes. {again}",
                crate::db::sso::ATTEMPT_MINUTES
            ),
        ),
        Denied::ProviderSaid(code) if code == "access_denied" => (
            StatusCode::BAD_REQUEST,
            "Sign-in cancelled",
            format!("The provider did not sign you in (it was cancelled or refused). {again}"),
        ),
        Denied::ProviderSaid(code) => (
            StatusCode::BAD_REQUEST,
            "The provider did not sign you in",
            format!("The provider answered “{code}”. {again} If it goes on, tell an admin of {organization}."),
        ),
        Denied::WrongIssuer => (
            StatusCode::BAD_REQUEST,
            "This sign-in could not be checked",
            format!("The answer came from another provider than {organization}'s. Nobody was signed in. {again}"),
        ),
        Denied::NotOffered => (
            StatusCode::NOT_FOUND,
            "No single sign-on",
            format!("{organization} does not offer single sign-on (any more). Sign in with your password."),
        ),
        Denied::Unreachable => (
            StatusCode::BAD_GATEWAY,
            "Your organization's sign-in service did not answer",
            format!("whygo could not reach {organization}'s provider to finish the sign-in. Try again in a few minutes."),
        ),
        Denied::TokensRefused(_) => (
            StatusCode::UNAUTHORIZED,
            "This sign-in could not be checked",
            format!(
                "The provider's answer did not pass whygo's checks (the code was used or expired, or the ID token was not the one this sign-in asked for). Nobody was signed in. {again}"
            ),
        ),
        Denied::Identity(Refusal::NoEmail) => (
            StatusCode::FORBIDDEN,
            "No email from your provider",
            format!("The provider did not tell whygo your email, so whygo cannot tell which account is yours. Ask an admin of {organization} to check the provider gives whygo the “email” scope."),
        ),
        Denied::Identity(Refusal::Unverified) => (
            StatusCode::FORBIDDEN,
            "Your email is not verified",
            "Your provider has not verified your email address, so whygo cannot link it to an account. Verify it with your provider, then sign in again.".to_owned(),
        ),
        Denied::Identity(Refusal::NotMember) => (
            StatusCode::FORBIDDEN,
            "Ask your admin for an invitation",
            format!("You signed in with your provider, but no member of {organization} on whygo has your email. Ask an admin of {organization} for an invitation."),
        ),
        Denied::Identity(Refusal::ReachesFurther) => (
            StatusCode::FORBIDDEN,
            "Sign in with your password",
            format!("Your whygo account belongs to more than {organization} (or administers this installation), so {organization}'s provider cannot sign it in. Sign in with your email and password instead."),
        ),
    }
}

/// `/{tenant}/sso/callback`: the provider's answer.
async fn callback(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    MaybeSession(current): MaybeSession,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    Query(cb): Query<Callback>,
) -> Result<Response, AppError> {
    let tenant = tenant(&state, &slug).await?;
    // An organization without single sign-on has no callback: the same 404
    // as any unknown address, and nothing counted or written.
    if service::offered(&state.pool, &tenant).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let browser = jar.get(BROWSER_COOKIE).map(|c| c.value().to_owned());
    let done = service::complete(
        &state.pool,
        SIGN_IN_LIMITS,
        &tenant,
        &address,
        browser.as_deref(),
        &cb,
    )
    .await?;
    match done {
        Ok(signed_in) => {
            let next = safe_next(Some(&signed_in.next));
            start_session(
                &state,
                current.as_ref(),
                &headers,
                jar,
                signed_in.account,
                &next,
            )
            .await
        }
        Err(denied) => {
            let (status, title, message) = denial(&denied, &tenant.name);
            refused_page(status, title, message, &slug)
        }
    }
}

/// The query string fit for the log: the callback's `code` and `state` are
/// replaced (a code could still be exchanged while it lives).
pub fn loggable_query<'a>(path: &str, query: Option<&'a str>) -> Option<std::borrow::Cow<'a, str>> {
    let query = query?;
    if !path.ends_with("/sso/callback") {
        return Some(std::borrow::Cow::Borrowed(query));
    }
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k @ ("code" | "state"), _)) => format!("{k}=[redacted]"),
            _ => pair.to_owned(),
        })
        .collect();
    Some(std::borrow::Cow::Owned(redacted.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callbacks_code_and_state_never_reach_the_log() {
        assert_eq!(
            loggable_query(
                "/kartel/sso/callback",
                Some("code=abc&state=def&iss=http%3A%2F%2Fx")
            )
            .as_deref(),
            Some("code=[redacted]&state=[redacted]&iss=http%3A%2F%2Fx")
        );
        assert_eq!(
            loggable_query("/kartel", Some("as_of=2026-11-21")).as_deref(),
            Some("as_of=2026-11-21")
        );
        assert_eq!(loggable_query("/kartel/sso/callback", None), None);
    }

    #[test]
    fn the_redirect_uri_is_this_server_as_the_request_reached_it() {
        let mut h = HeaderMap::new();
        h.insert("host", "whygo.example:8443".parse().expect("header"));
        h.insert("x-forwarded-proto", "https".parse().expect("header"));
        assert_eq!(
            redirect_uri(&h, false, None, "kartel"),
            "https://whygo.example:8443/kartel/sso/callback"
        );
        h.insert("host", "evil.example/path?".parse().expect("header"));
        h.remove("x-forwarded-proto");
        assert_eq!(
            redirect_uri(&h, false, None, "kartel"),
            "http://localhost/kartel/sso/callback",
            "a host that is no host name is not used"
        );
        assert_eq!(
            redirect_uri(&h, false, Some("https://goals.example.com/"), "kartel"),
            "https://goals.example.com/kartel/sso/callback",
            "the public address, when set, whatever the request says"
        );
    }
}
