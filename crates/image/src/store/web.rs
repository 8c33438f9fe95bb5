//! Image data from the web (web-download and the legacy import task): which URLs may
//! be fetched, as Glance's import filtering decides, and fetching them as a stream.

use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may go without sending a byte; the transfer as a whole is
/// bounded by the size cap and the quota, not by time.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Most redirects followed, each checked like the first URL.
const MAX_REDIRECTS: usize = 5;

/// Why a URL may not be fetched, or fetching it failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The URL does not pass import filtering.
    #[error("URI for web-download does not pass filtering: {0}")]
    Refused(String),
    /// The server could not be reached, or did not answer with data.
    #[error("fetching {url}: {why}")]
    Fetch { url: String, why: String },
}

/// Which URLs may be fetched: http and https on allowed ports, redirects included.
#[derive(Debug, Clone)]
pub struct WebSource {
    client: reqwest::Client,
    allowed_ports: Vec<u16>,
}

/// A URL as it may appear in logs and task messages: without user and password.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<unparsable URL>".into(),
    }
}

/// An error with the errors that caused it, which say what actually went wrong (a
/// refused redirect is "error following redirect: URI ... does not pass filtering").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn check(url: &reqwest::Url, allowed_ports: &[u16]) -> Result<(), WebError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WebError::Refused("only http and https are allowed".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(WebError::Refused("it names no host".into()));
    }
    let port = url.port_or_known_default().unwrap_or(0);
    if !allowed_ports.contains(&port) {
        return Err(WebError::Refused(format!("port {port} is not one of the allowed ports {allowed_ports:?}")));
    }
    Ok(())
}

impl WebSource {
    /// A source that fetches from `allowed_ports` only.
    pub fn new(allowed_ports: Vec<u16>) -> Result<WebSource, WebError> {
        let ports = allowed_ports.clone();
        // Every hop must pass the same filter as the first URL, or a redirect would
        // reach any port of any host.
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(WebError::Refused(format!("more than {MAX_REDIRECTS} redirects")))
            } else if let Err(e) = check(attempt.url(), &ports) {
                attempt.error(e)
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .redirect(redirects)
            .build()
            .map_err(|e| WebError::Fetch { url: String::new(), why: format!("building an HTTP client: {e}") })?;
        Ok(WebSource { client, allowed_ports })
    }

    /// Refuses a URL import filtering does not pass.
    pub fn check(&self, url: &str) -> Result<(), WebError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| WebError::Refused(e.to_string()))?;
        check(&parsed, &self.allowed_ports)
    }

    /// The body at `url`, as it arrives.
    pub async fn fetch(&self, url: &str) -> Result<impl Stream<Item = reqwest::Result<Bytes>> + Unpin + use<>, WebError> {
        self.check(url)?;
        let failed = |why: String| WebError::Fetch { url: redacted(url), why };
        let res = self.client.get(url).send().await.map_err(|e| failed(chain(&e.without_url())))?;
        if !res.status().is_success() {
            return Err(failed(format!("the server answered {}", res.status())));
        }
        Ok(res.bytes_stream())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtering_follows_glance_and_secrets_stay_out_of_messages() {
        let web = WebSource::new(vec![80, 443]).unwrap();
        assert!(web.check("http://example.org/cirros.img").is_ok());
        assert!(web.check("https://example.org:443/cirros.img").is_ok());
        for refused in ["ftp://example.org/x", "file:///etc/passwd", "http://example.org:8080/x", "not a url"] {
            assert!(matches!(web.check(refused), Err(WebError::Refused(_))), "{refused}");
        }
        assert_eq!(redacted("http://user:secret@example.org/x"), "http://example.org/x");
    }
}
