//! The OpenID Connect relying party: talking to an organization's provider
//! with the `openidconnect` crate. Discovery, the authorization request
//! (code flow, PKCE S256, a fresh `state` and `nonce` each time), and the
//! code's exchange with every check of the ID token (signature against the
//! provider's keys, issuer, audience, expiry, nonce, and the access token's
//! hash when given). No web, no database: the caller keeps the attempt.
//!
//! The HTTP client follows no redirects (the crate's advice against SSRF: an
//! admin-typed issuer must not bounce the server elsewhere) and gives up
//! after [`TIMEOUT`]. Nothing here logs or returns a token, a code or the
//! client secret.

use std::sync::OnceLock;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, DiscoveryError,
    IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardClaims, TokenResponse as _, reqwest,
};

/// How long any one request to a provider may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// An organization's provider, as its admin set it.
#[derive(Clone)]
pub struct Provider {
    pub issuer: String,
    pub client_id: String,
}

/// A client secret: shown nowhere, not even in a debug print.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Why the provider could not be used; [`Problem::sentence`] says it to an
/// admin. Never holds a secret or a token.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("the issuer is not a URL")]
    BadIssuer,
    #[error("no HTTP client: {0}")]
    Client(String),
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    #[error("the discovery document does not read: {0}")]
    Document(String),
    #[error("the discovery document is wrong: {0}")]
    Invalid(String),
}

impl Problem {
    /// What an admin reads next to the issuer field.
    pub fn sentence(&self, issuer: &str) -> String {
        let document = discovery_url(issuer);
        match self {
            Problem::BadIssuer => "This is not a URL whygo can read.".to_owned(),
            Problem::Client(_) => {
                "whygo could not make an HTTP client to reach the provider; see the server's log."
                    .to_owned()
            }
            Problem::Unreachable(_) => format!(
                "whygo could not reach {document} (no answer, or not within {} seconds). Check the URL, and that this server may reach the provider.",
                TIMEOUT.as_secs()
            ),
            Problem::Status(code) => format!(
                "{document} answered HTTP {code} instead of the provider's discovery document. Check the issuer URL."
            ),
            Problem::Document(_) => format!(
                "{document} is not an OpenID Connect discovery document. Check the issuer URL."
            ),
            Problem::Invalid(why) => {
                format!("The provider's discovery document is not usable: {why}.")
            }
        }
    }
}

fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// The one HTTP client, made on first use.
fn http() -> Result<&'static reqwest::Client, Problem> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("whygo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Problem::Client(e.to_string()))?;
    Ok(CLIENT.get_or_init(|| built))
}

/// The cause of a failed request, for the log: reqwest's words without the
/// URL (which could carry a code in a query).
fn cause(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(s) => format!("{kind}: {s}"),
        None => kind.to_owned(),
    }
}

/// Reads the provider's discovery document and its signing keys, and checks
/// the provider calls itself `issuer`.
pub async fn discover(issuer: &str) -> Result<CoreProviderMetadata, Problem> {
    let url = IssuerUrl::new(issuer.to_owned()).map_err(|_| Problem::BadIssuer)?;
    let client = http()?;
    CoreProviderMetadata::discover_async(url, client)
        .await
        .map_err(|e| match e {
            DiscoveryError::Request(oauth2_error) => Problem::Unreachable(match &oauth2_error {
                openidconnect::HttpClientError::Reqwest(r) => cause(r),
                other => other.to_string(),
            }),
            DiscoveryError::Response(status, _, _) => Problem::Status(status.as_u16()),
            DiscoveryError::Parse(p) => Problem::Document(p.path().to_string()),
            DiscoveryError::UrlParse(_) => Problem::BadIssuer,
            DiscoveryError::Validation(why) => Problem::Invalid(why),
            DiscoveryError::Other(why) => Problem::Invalid(why),
            // The enum is non-exhaustive.
            other => Problem::Invalid(other.to_string()),
        })
}

/// Where to send the person, and what to keep until they come back.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The authorization request: the code flow with PKCE (S256), scopes
/// `openid email profile`, a new random `state` and `nonce`.
pub async fn authorize(provider: &Provider, redirect_uri: &str) -> Result<Authorization, Problem> {
    let metadata = discover(&provider.issuer).await?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| Problem::Invalid(format!("the redirect URI does not read: {e}")))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        None,
    )
    .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who the provider says signed in, after every check passed.
#[derive(Clone, Debug)]
pub struct Verified {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a code brought nobody back. The words name the failed check only.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Provider(#[from] Problem),
    /// The token endpoint refused the code (used, expired, not this
    /// client's or not this verifier's): the OAuth error code.
    #[error("the provider refused the code: {0}")]
    CodeRefused(String),
    #[error("the token exchange failed: {0}")]
    Exchange(String),
    #[error("the provider sent no ID token")]
    NoIdToken,
    /// The ID token failed a check (signature, issuer, audience, expiry,
    /// nonce, access token hash).
    #[error("the ID token was refused: {0}")]
    IdToken(String),
    #[error("the user info was refused: {0}")]
    UserInfo(String),
}

/// What the callback brought back, and what the attempt kept.
pub struct Exchange<'a> {
    pub code: &'a str,
    pub pkce_verifier: &'a str,
    pub nonce: &'a str,
    pub redirect_uri: &'a str,
}

/// Exchanges the code (with the PKCE verifier and the client secret) and
/// verifies the ID token. The email comes from the ID token when it carries
/// one that is verified; otherwise from the user info endpoint, whose
/// subject must be the ID token's (OpenID Connect Core 5.3.2).
pub async fn exchange(
    provider: &Provider,
    secret: &Secret,
    x: &Exchange<'_>,
) -> Result<Verified, Failure> {
    let metadata = discover(&provider.issuer).await?;
    let http = http()?;
    let redirect = RedirectUrl::new(x.redirect_uri.to_owned())
        .map_err(|e| Failure::Exchange(format!("redirect URI: {e}")))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret.0.clone())),
    )
    .set_redirect_uri(redirect);
    let request = client
        .exchange_code(AuthorizationCode::new(x.code.to_owned()))
        .map_err(|e| Failure::Exchange(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(x.pkce_verifier.to_owned()));
    let tokens = request.request_async(http).await.map_err(|e| match e {
        RequestTokenError::ServerResponse(r) => Failure::CodeRefused(r.error().to_string()),
        RequestTokenError::Request(openidconnect::HttpClientError::Reqwest(r)) => {
            Failure::Provider(Problem::Unreachable(cause(&r)))
        }
        RequestTokenError::Request(other) => {
            Failure::Provider(Problem::Unreachable(other.to_string()))
        }
        RequestTokenError::Parse(p, _) => {
            Failure::Exchange(format!("answer does not read at {}", p.path()))
        }
        RequestTokenError::Other(why) => Failure::Exchange(why),
    })?;
    let id_token = tokens.id_token().ok_or(Failure::NoIdToken)?;
    let verifier = client.id_token_verifier();
    let nonce = Nonce::new(x.nonce.to_owned());
    let claims = id_token
        .claims(&verifier, &nonce)
        .map_err(|e| Failure::IdToken(e.to_string()))?;
    // The access token is the one this ID token was issued with.
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|e| Failure::IdToken(e.to_string()))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| Failure::IdToken(e.to_string()))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
            .map_err(|e| Failure::IdToken(e.to_string()))?;
        if actual != *expected {
            return Err(Failure::IdToken("the access token hash differs".to_owned()));
        }
    }
    let subject = claims.subject().clone();
    let mut verified = Verified {
        subject: subject.as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified() == Some(true),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
    };
    if verified.email.is_some() && verified.email_verified {
        return Ok(verified);
    }
    // Claims the scopes asked for come from the user info endpoint when an
    // access token was issued.
    let Ok(request) = client.user_info(tokens.access_token().clone(), Some(subject)) else {
        return Ok(verified); // no user info endpoint: the ID token is all there is
    };
    let info: openidconnect::UserInfoClaims<openidconnect::EmptyAdditionalClaims, CoreGenderClaim> =
        request
            .request_async(http)
            .await
            .map_err(|e| Failure::UserInfo(e.to_string()))?;
    let standard: &StandardClaims<CoreGenderClaim> = info.standard_claims();
    verified.email = standard.email().map(|e| e.as_str().to_owned());
    verified.email_verified = standard.email_verified() == Some(true);
    if verified.name.is_none() {
        verified.name = standard
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned());
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_a_debug_print() {
        let s = Secret("hunter2-secret".to_owned());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn the_discovery_document_is_under_the_issuer_with_or_without_its_slash() {
        assert_eq!(
            discovery_url("https://id.example/realms/a/"),
            "https://id.example/realms/a/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example"),
            "https://id.example/.well-known/openid-configuration"
        );
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_a_problem_with_a_sentence_not_a_panic() {
        // Port 9 (discard) on this machine: nothing listens there.
        let e = discover("http://127.0.0.1:9")
            .await
            .expect_err("nothing there");
        assert!(matches!(e, Problem::Unreachable(_)), "{e:?}");
        assert!(e.sentence("http://127.0.0.1:9").contains("could not reach"));
    }
}
