//! Does the site answer with WordPress? One plain HTTP GET of the stack's URL, repeated until
//! WordPress answers or the time is up. A fresh WordPress redirects `/` to its installer; an
//! installed one serves pages that load from `wp-content`. A load balancer with no healthy target
//! answers 502/503, and a name not yet in DNS does not resolve: both are "not yet".

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{HOST, LOCATION};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What one GET of the site returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteAnswer {
    pub status: u16,
    pub location: Option<String>,
    /// The first part of the body (enough to recognise WordPress).
    pub body_start: String,
}

impl SiteAnswer {
    /// WordPress's own answer: the installer redirect of a fresh site, or one of its pages.
    pub fn is_wordpress(&self) -> bool {
        let redirect = (300..400).contains(&self.status)
            && self.location.as_deref().is_some_and(|l| {
                l.contains("/wp-admin/install.php") || l.contains("/wp-login.php")
            });
        let page = self.status == 200
            && (self.body_start.contains("wp-content") || self.body_start.contains("WordPress"));
        redirect || page
    }

    fn summary(&self) -> String {
        let location = self
            .location
            .as_deref()
            .map(|l| format!(" -> {l}"))
            .unwrap_or_default();
        let body: String = self.body_start.chars().take(120).collect();
        format!("HTTP {}{location}: {body:?}", self.status)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("the site URL {url} is not a plain http:// URL (this check speaks HTTP only)")]
    NotHttp { url: String },
    #[error("{url} did not answer with WordPress within {waited:?}; last: {last}")]
    NotWordPress {
        url: String,
        waited: Duration,
        last: String,
    },
}

/// Where to send the request: the URL's host as DNS resolves it, or a fixed address (a local
/// stand-in for a load balancer that an emulator cannot serve).
#[derive(Debug, Clone, Copy)]
pub enum SiteRoute {
    Dns,
    Fixed(SocketAddr),
}

/// GET `url` every few seconds until WordPress answers, for at most `patience`.
pub async fn wait_for_wordpress(
    url: &str,
    route: SiteRoute,
    patience: Duration,
) -> Result<SiteAnswer, SiteError> {
    let (host, port, path) = split_http_url(url).ok_or_else(|| SiteError::NotHttp {
        url: url.to_string(),
    })?;
    let started = Instant::now();
    loop {
        let last = match get_once(&host, port, &path, route).await {
            Ok(answer) if answer.is_wordpress() => return Ok(answer),
            Ok(answer) => answer.summary(),
            Err(error) => error,
        };
        if started.elapsed() >= patience {
            return Err(SiteError::NotWordPress {
                url: url.to_string(),
                waited: started.elapsed(),
                last,
            });
        }
        tokio::time::sleep(Duration::from_secs(2).min(patience)).await;
    }
}

/// One GET; the error is a sentence for the report (resolution, connection, protocol).
async fn get_once(
    host: &str,
    port: u16,
    path: &str,
    route: SiteRoute,
) -> Result<SiteAnswer, String> {
    let address = match route {
        SiteRoute::Fixed(address) => address,
        SiteRoute::Dns => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("{host} does not resolve: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} resolves to no address"))?,
    };
    let exchange = async {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|e| format!("connect {address}: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {address}: {e}"))?;
        tokio::spawn(connection);
        let request = Request::get(path)
            .header(HOST, host)
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("request for {path}: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("GET {path} from {address}: {e}"))?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body of {path}: {e}"))?
            .to_bytes();
        let body_start = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned();
        Ok(SiteAnswer {
            status: status.as_u16(),
            location,
            body_start,
        })
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer from {address} within 10 s")))
}

/// `http://host[:port][/path]` into its parts; `None` for anything else.
fn split_http_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (authority, 80),
    };
    (!host.is_empty()).then(|| (host.to_string(), port, path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, location: Option<&str>, body: &str) -> SiteAnswer {
        SiteAnswer {
            status,
            location: location.map(str::to_string),
            body_start: body.to_string(),
        }
    }

    #[test]
    fn the_installer_redirect_and_a_page_are_wordpress() {
        let fresh = answer(302, Some("http://x/wp-admin/install.php"), "");
        assert!(fresh.is_wordpress());
        let page = answer(200, None, "<link href='/wp-content/themes/a.css'>");
        assert!(page.is_wordpress());
    }

    #[test]
    fn an_apache_default_page_or_a_502_is_not_wordpress() {
        assert!(!answer(200, None, "<h1>It works!</h1>").is_wordpress());
        assert!(!answer(502, None, "Bad Gateway").is_wordpress());
        assert!(!answer(302, Some("http://x/login"), "").is_wordpress());
    }

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            split_http_url("http://a.example.com"),
            Some(("a.example.com".into(), 80, "/".into()))
        );
        assert_eq!(
            split_http_url("http://127.0.0.1:8080/x?y"),
            Some(("127.0.0.1".into(), 8080, "/x?y".into()))
        );
        assert_eq!(split_http_url("https://a.example.com"), None);
    }
}
