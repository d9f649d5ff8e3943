//! The control API under `/_proxy/`, on the proxy's own port and never forwarded:
//! `GET stats`, `POST reset`, `GET config`, `POST config` (replace the fault config),
//! `GET refreshes` (instance refreshes started, with the preferences their callers sent).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Method, Response, StatusCode};

use crate::config::FaultConfig;
use crate::run_state::Shared;

pub(crate) const PREFIX: &str = "/_proxy/";

pub(crate) fn answer(
    shared: &Shared,
    method: &Method,
    route: &str,
    body: &[u8],
) -> Response<Full<Bytes>> {
    match (method.as_str(), route.trim_end_matches('/')) {
        ("GET", "stats") => json(StatusCode::OK, serde_json::to_value(&shared.state().stats)),
        ("GET", "refreshes") => json(
            StatusCode::OK,
            serde_json::to_value(shared.state().presets.instance_refreshes()),
        ),
        ("GET", "config") => json(StatusCode::OK, serde_json::to_value(&shared.state().config)),
        ("POST", "reset") => {
            shared.state().reset();
            json(StatusCode::OK, Ok(serde_json::json!({ "reset": true })))
        }
        ("POST", "config") => match FaultConfig::from_json(&String::from_utf8_lossy(body)) {
            Ok(config) => {
                shared.state().set_config(config);
                json(
                    StatusCode::OK,
                    Ok(serde_json::json!({ "configured": true })),
                )
            }
            Err(error) => json(
                StatusCode::BAD_REQUEST,
                Ok(serde_json::json!({ "error": error.to_string() })),
            ),
        },
        _ => json(
            StatusCode::NOT_FOUND,
            Ok(
                serde_json::json!({ "error": format!("no control route {method} {PREFIX}{route}: use GET stats, GET config, GET refreshes, POST reset, POST config") }),
            ),
        ),
    }
}

fn json(
    status: StatusCode,
    value: Result<serde_json::Value, serde_json::Error>,
) -> Response<Full<Bytes>> {
    let (status, value) = match value {
        Ok(value) => (status, value),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({ "error": error.to_string() }),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
