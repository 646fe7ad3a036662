//! Signing in and out, the organization picker, changing one's password, and
//! the one-time invitation and reset links.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use chrono::Duration;
use serde::Deserialize;

use super::error::render;
use super::session::{self, Account, ClientAddress, MaybeSession};
use super::view::Chrome;
use super::{AppError, AppState};
use crate::app::accounts::{
    self as app_accounts, InviteErrors, NewAccount, NotSignedIn, PasswordErrors,
};
use crate::db::{self, accounts, links};
use crate::http::params::{Form, Path, Query};

/// Failed sign-ins allowed in the window: per account from one address (the
/// guesser's own budget), per account from everywhere and per address over
/// every account (both waived for an address the account signed in from in
/// the last [`KNOWN_ADDRESS_DAYS`], so a guesser cannot lock the owner out,
/// nor one person behind a shared address everyone else). See docs/security.md.
pub const MAX_FAILURES_PER_PAIR: i64 = 5;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 50;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 100;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
pub const KNOWN_ADDRESS_DAYS: i64 = 30;

pub const SIGN_IN_LIMITS: accounts::SignInLimits = accounts::SignInLimits {
    per_pair: MAX_FAILURES_PER_PAIR,
    per_account: MAX_FAILURES_PER_ACCOUNT,
    per_address: MAX_FAILURES_PER_ADDRESS,
    window: Duration::minutes(FAILURE_WINDOW_MINUTES),
    known_for: Duration::days(KNOWN_ADDRESS_DAYS),
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(picker))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route(
            "/account/password",
            get(password_form).post(change_password),
        )
        .route(
            "/{tenant}/invite/{token}",
            get(invite_form).post(accept_invite),
        )
        .route(
            "/{tenant}/reset/{token}",
            get(reset_form).post(reset_password),
        )
}

/// `next` for a query string; only local paths survive [`safe_next`] anyway.
pub fn encode_next(next: &str) -> String {
    serde_urlencoded::to_string([("", next)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// Where to go after signing in: a same-site relative path only (no open
/// redirect). Browsers drop tabs and newlines from URLs and read `\` as `/`,
/// so `/\t/evil.example` would become `//evil.example`: any whitespace or
/// control character, any backslash, or a second leading slash sends the
/// person to the default page instead. What is left is also a valid header
/// value, so the redirect can never fail.
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_whitespace() || c.is_control())
                && n != "/login" =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

// ----- picker -----

#[derive(Template)]
#[template(path = "picker.html")]
struct PickerPage {
    chrome: Chrome,
    organizations: Vec<(String, String, &'static str)>,
    can_create: bool,
}

/// After sign-in: the organizations this account belongs to. With exactly
/// one, go straight there.
async fn picker(
    State(state): State<AppState>,
    Account { account, session }: Account,
) -> Result<Response, AppError> {
    let memberships = accounts::memberships(&state.pool, account.id).await?;
    if let [only] = memberships.as_slice() {
        if !account.installation_admin {
            return Ok(Redirect::to(&format!("/{}", only.tenant.slug)).into_response());
        }
    }
    let page = PickerPage {
        chrome: Chrome {
            user: Some(account.name.clone()),
            csrf: session.csrf_token,
            ..Chrome::default()
        },
        organizations: memberships
            .into_iter()
            .map(|m| (m.tenant.slug, m.tenant.name, m.role.label()))
            .collect(),
        can_create: account.installation_admin,
    };
    Ok(render(&page)?.into_response())
}

// ----- sign in / out -----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
    /// The organizations that sign in with single sign-on (see [`super::sso`]).
    sso: Vec<super::sso::Button>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The sign-in form. A visitor without a session gets an anonymous CSRF
/// token in a cookie (no session row), so the form carries one like every other.
async fn login_form(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(q.next.as_deref());
    if current
        .as_ref()
        .and_then(accounts::Session::account)
        .is_some()
    {
        return Ok(Redirect::to(&next).into_response());
    }
    let secure = session::is_https(&headers, state.settings.secure_cookies);
    let (jar, csrf) = session::form_csrf(current.as_ref(), jar, secure);
    let page = LoginPage {
        chrome: Chrome {
            csrf,
            ..Chrome::default()
        },
        email: String::new(),
        sso: super::sso::buttons(&state, &next).await?,
        next,
        error: None,
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(form.next.as_deref());
    // The token the form came with (checked by the CSRF guard), for a re-render.
    let (_, csrf) = session::form_csrf(current.as_ref(), jar.clone(), false);
    let hasher = &state.settings.hasher;
    let (email, password) = (&form.email, &form.password);
    let signed_in = app_accounts::sign_in(
        &state.pool,
        hasher,
        SIGN_IN_LIMITS,
        email,
        password,
        &address,
    )
    .await?;
    let (error, status) = match signed_in {
        Ok(account) => {
            return start_session(&state, current.as_ref(), &headers, jar, account, &next).await;
        }
        Err(why) => not_signed_in(why),
    };
    let page = LoginPage {
        chrome: Chrome {
            csrf,
            ..Chrome::default()
        },
        email: form.email,
        sso: super::sso::buttons(&state, &next).await?,
        next,
        error: Some(error),
    };
    Ok((status, render(&page)?).into_response())
}

/// What the sign-in form says, and its status, when nobody was signed in.
fn not_signed_in(why: NotSignedIn) -> (String, StatusCode) {
    match why {
        NotSignedIn::Missing => (
            "Enter your email and your password.".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        NotSignedIn::Limited(r) => (refusal_message(r), StatusCode::TOO_MANY_REQUESTS),
        NotSignedIn::Mismatch => (
            "That email and password do not match an account.".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        NotSignedIn::SsoOnly { label, .. } => (
            format!(
                "Your organization signs in with single sign-on only, not with a password: use “{label}” below."
            ),
            StatusCode::FORBIDDEN,
        ),
    }
}

/// Signs `account` in with a new session id (whatever id the visitor had
/// before, which an attacker may have planted, is dropped) and goes to `to`:
/// after a password, an invitation, or single sign-on ([`super::sso`]).
pub(super) async fn start_session(
    state: &AppState,
    current: Option<&accounts::Session>,
    headers: &HeaderMap,
    jar: CookieJar,
    account: uuid::Uuid,
    to: &str,
) -> Result<Response, AppError> {
    if let Some(old) = current {
        accounts::delete_session(&state.pool, &old.id).await?;
    }
    let (cookie, _) = accounts::create_session(&state.pool, Some(account)).await?;
    let secure = session::is_https(headers, state.settings.secure_cookies);
    Ok((
        jar.add(session::session_cookie(cookie, secure)),
        Redirect::to(to),
    )
        .into_response())
}

fn refusal_message(refusal: accounts::Refusal) -> String {
    let wait = format!(
        "Wait {FAILURE_WINDOW_MINUTES} minutes and try again, or ask an admin for a password reset link."
    );
    match refusal {
        accounts::Refusal::Pair => {
            format!("Too many failed sign-ins for this account from your address. {wait}")
        }
        accounts::Refusal::Account => format!(
            "Too many failed sign-ins for this account from elsewhere. Sign in from a device you used before, or: {wait}"
        ),
        accounts::Refusal::Address => {
            format!("Too many failed sign-ins from your network. {wait}")
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    MaybeSession(current): MaybeSession,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, AppError> {
    if let Some(s) = current {
        accounts::delete_session(&state.pool, &s.id).await?;
    }
    let secure = session::is_https(&headers, state.settings.secure_cookies);
    Ok((
        jar.add(session::removal_cookie(secure)),
        Redirect::to("/login"),
    )
        .into_response())
}

// ----- change password -----

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: PasswordErrors,
    done: bool,
}

fn account_chrome(account: &accounts::SignedIn, csrf: &str) -> Chrome {
    Chrome {
        user: Some(account.name.clone()),
        csrf: csrf.to_owned(),
        ..Chrome::default()
    }
}

async fn password_form(Account { account, session }: Account) -> Result<Response, AppError> {
    let page = PasswordPage {
        chrome: account_chrome(&account, &session.csrf_token),
        errors: PasswordErrors::default(),
        done: false,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    Account { account, session }: Account,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let hasher = &state.settings.hasher;
    let (current, new, confirm) = (&form.current, &form.new, &form.confirm);
    let changed = app_accounts::change_password(
        &state.pool,
        hasher,
        account.id,
        &session.id,
        current,
        new,
        confirm,
    )
    .await?;
    let (status, errors, done) = match changed {
        Ok(()) => (StatusCode::OK, PasswordErrors::default(), true),
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, false),
    };
    let page = PasswordPage {
        chrome: account_chrome(&account, &session.csrf_token),
        errors,
        done,
    };
    Ok((status, render(&page)?).into_response())
}

// ----- invitations -----

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    chrome: Chrome,
    tenant_name: String,
    action: String,
    person_name: String,
    signed_in_as: Option<String>,
    email: String,
    name: String,
    errors: InviteErrors,
}

impl InvitePage {
    /// The form again, with what was typed and its messages.
    fn again(
        csrf: String,
        tenant: db::plan::TenantRow,
        link: links::Link,
        slug: &str,
        secret: &str,
        form: NewAccount,
        errors: InviteErrors,
    ) -> InvitePage {
        InvitePage {
            chrome: Chrome {
                csrf,
                ..Chrome::default()
            },
            tenant_name: tenant.name,
            action: format!("/{slug}/invite/{secret}"),
            person_name: link.person_name.unwrap_or_default(),
            signed_in_as: None,
            email: form.email,
            name: form.name,
            errors,
        }
    }
}

/// The tenant and a usable link of `kind`; anything else is a 404, so a
/// guessed or used token reveals nothing.
async fn usable_link(
    state: &AppState,
    slug: &str,
    secret: &str,
    kind: &str,
) -> Result<(db::plan::TenantRow, links::Link), AppError> {
    let tenant = db::plan::tenant_by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = db::begin_tenant(&state.pool, tenant.id).await?;
    let link = links::find(&mut *tx, tenant.id, secret, kind).await?;
    tx.commit().await?;
    match link {
        Some(l) if l.usable() => Ok((tenant, l)),
        Some(_) => Err(AppError::BadRequest(
            "This link has been used or has expired. Ask an admin of the organization for a new one.".to_owned(),
        )),
        None => Err(AppError::NotFound),
    }
}

async fn invite_form(
    State(state): State<AppState>,
    Path((slug, secret)): Path<(String, String)>,
    MaybeSession(current): MaybeSession,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let (tenant, link) = usable_link(&state, &slug, &secret, "invite").await?;
    let secure = session::is_https(&headers, state.settings.secure_cookies);
    let (jar, csrf) = session::form_csrf(current.as_ref(), jar, secure);
    let signed_in = current.as_ref().and_then(accounts::Session::account);
    let page = InvitePage {
        chrome: Chrome {
            csrf,
            user: signed_in.as_ref().map(|a| a.name.clone()),
            ..Chrome::default()
        },
        tenant_name: tenant.name,
        action: format!("/{slug}/invite/{secret}"),
        person_name: link.person_name.clone().unwrap_or_default(),
        signed_in_as: signed_in.map(|a| a.email),
        email: link.email.clone().unwrap_or_default(),
        name: link.person_name.unwrap_or_default(),
        errors: InviteErrors::default(),
    };
    Ok((jar, render(&page)?).into_response())
}

async fn accept_invite(
    State(state): State<AppState>,
    Path((slug, secret)): Path<(String, String)>,
    MaybeSession(current): MaybeSession,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<NewAccount>,
) -> Result<Response, AppError> {
    let (tenant, link) = usable_link(&state, &slug, &secret, "invite").await?;
    let signed_in = current.as_ref().and_then(accounts::Session::account);
    let hasher = &state.settings.hasher;
    let joined = app_accounts::join(
        &state.pool,
        hasher,
        &tenant,
        &link,
        signed_in.as_ref(),
        &form,
    )
    .await?;
    let account = match joined {
        Ok(account) => account,
        Err(errors) => {
            // The token the form came with (checked by the CSRF guard).
            let (_, csrf) = session::form_csrf(current.as_ref(), jar, false);
            let page = InvitePage::again(csrf, tenant, link, &slug, &secret, form, errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    // A fresh session for the (new) member, replacing the anonymous one.
    start_session(
        &state,
        current.as_ref(),
        &headers,
        jar,
        account,
        &format!("/{slug}"),
    )
    .await
}

// ----- password reset -----

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    chrome: Chrome,
    action: String,
    email: String,
    errors: PasswordErrors,
    done: bool,
}

async fn reset_form(
    State(state): State<AppState>,
    Path((slug, secret)): Path<(String, String)>,
    MaybeSession(current): MaybeSession,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let (_, link) = usable_link(&state, &slug, &secret, "reset").await?;
    let secure = session::is_https(&headers, state.settings.secure_cookies);
    let (jar, csrf) = session::form_csrf(current.as_ref(), jar, secure);
    let page = ResetPage {
        chrome: Chrome {
            csrf,
            ..Chrome::default()
        },
        action: format!("/{slug}/reset/{secret}"),
        email: link.account_email.unwrap_or_default(),
        errors: PasswordErrors::default(),
        done: false,
    };
    Ok((jar, render(&page)?).into_response())
}

async fn reset_password(
    State(state): State<AppState>,
    Path((slug, secret)): Path<(String, String)>,
    MaybeSession(current): MaybeSession,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let (tenant, link) = usable_link(&state, &slug, &secret, "reset").await?;
    let hasher = &state.settings.hasher;
    let (new, confirm) = (&form.new, &form.confirm);
    let reset =
        app_accounts::reset_password(&state.pool, hasher, &tenant, &link, new, confirm).await?;
    // The token the form came with (checked by the CSRF guard), for the page.
    let (_, csrf) = session::form_csrf(current.as_ref(), jar, false);
    let (status, errors, done) = match reset {
        Ok(()) => (StatusCode::OK, PasswordErrors::default(), true),
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors, false),
    };
    let page = ResetPage {
        chrome: Chrome {
            csrf,
            ..Chrome::default()
        },
        action: if done {
            String::new()
        } else {
            format!("/{slug}/reset/{secret}")
        },
        email: link.account_email.unwrap_or_default(),
        errors,
        done,
    };
    Ok((status, render(&page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/kartel")), "/kartel");
        assert_eq!(
            safe_next(Some("/kartel?as_of=2026-11-21")),
            "/kartel?as_of=2026-11-21"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "/login",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{85}/evil.example",
            "/\u{a0}/evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn next_is_encoded_for_a_query_string() {
        assert_eq!(
            encode_next("/kartel?as_of=2026-11-21&x=1"),
            "%2Fkartel%3Fas_of%3D2026-11-21%26x%3D1"
        );
    }
}
