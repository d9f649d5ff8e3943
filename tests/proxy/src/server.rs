//! The HTTP side: accept connections, answer the control API, decide each AWS call's fate,
//! forward to moto, and rewrite or discard what comes back.

use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::http::request::Parts as RequestParts;
use hyper::http::response::Parts as ResponseParts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::aws_errors::AwsError;
use crate::config::{ScriptedFault, ScriptedKind};
use crate::consistency;
use crate::control;
use crate::faults::{FaultKind, RandomFault};
use crate::identify::{identify, AwsRequest, Protocol};
use crate::pending::{self, Timings};
use crate::presets::{Action, Lookup};
use crate::run_state::{RunState, Shared};
use crate::ProxyError;

/// What happens to one AWS call, decided before it is forwarded.
enum Verdict {
    Answer(AwsError),
    /// A preset's whole answer, for an API moto lacks.
    Reply(Response<Full<Bytes>>),
    /// A preset needs moto's answers to these first (the call's `nth`, for the fault log).
    Lookup(Lookup, u64),
    DropBefore,
    Forward {
        drop_after: bool,
    },
}

/// Serve until `shutdown` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => {
                // A failed accept (e.g. too many open files) affects one client; keep serving,
                // after a pause so a persistent failure does not spin.
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
                    // Errors here are the connection drops we inject, or clients hanging up.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
}

/// One request. Returning `Err` makes hyper close the connection without a response: that
/// is how drops are injected.
async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ProxyError> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(ProxyError::ReadRequest)?
        .to_bytes();
    if let Some(route) = parts.uri.path().strip_prefix(control::PREFIX) {
        return Ok(control::answer(&shared, &parts.method, route, &body));
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .to_string();
    let Some(aws) = identify(&parts.method, &path_and_query, &parts.headers, &body) else {
        return Ok(
            match forward(&shared.upstream, &parts, &path_and_query, body).await {
                Ok((parts, body)) => Response::from_parts(parts, Full::new(body)),
                Err(error) => bad_gateway(&error),
            },
        );
    };
    let (verdict, latency) = decide(&shared, &aws, &body);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let drop_after = match verdict {
        Verdict::Answer(error) => return Ok(error.into_response(aws.protocol)),
        Verdict::Reply(response) => return Ok(response),
        Verdict::Lookup(lookup, nth) => match look_up(&shared, &aws, &parts, lookup, nth).await {
            Some(Verdict::Answer(error)) => return Ok(error.into_response(aws.protocol)),
            Some(Verdict::Reply(response)) => return Ok(response),
            _ => false,
        },
        Verdict::DropBefore => return Err(ProxyError::InjectedDrop),
        Verdict::Forward { drop_after } => drop_after,
    };
    let (parts, body) = match forward(&shared.upstream, &parts, &path_and_query, body).await {
        Ok(upstream) => upstream,
        Err(error) => return Ok(bad_gateway(&error)),
    };
    let body = observe_response(&shared, &aws, parts.status, body);
    let response = Response::from_parts(parts, Full::new(body));
    if drop_after {
        return Err(ProxyError::InjectedDrop);
    }
    Ok(response)
}

/// Run a preset's lookups against moto and let it decide; `None` forwards the call (also
/// when moto could not be asked: the call then meets moto as it would without the preset).
/// A decision may be a further lookup, built from the answers of the one before.
async fn look_up(
    shared: &Shared,
    aws: &AwsRequest,
    parts: &RequestParts,
    mut lookup: Lookup,
    nth: u64,
) -> Option<Verdict> {
    loop {
        let mut answers = Vec::new();
        for request in lookup.requests() {
            let mut asked = parts.clone();
            asked.method = request.method.parse().ok()?;
            let (answer, body) = forward(
                &shared.upstream,
                &asked,
                &request.path_and_query,
                Bytes::from(request.body),
            )
            .await
            .ok()?;
            answers.push((
                answer.status.as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
        let mut state = shared.state();
        let state = &mut *state;
        let action = state
            .presets
            .conclude(lookup, answers, &state.config, Instant::now())?;
        match action {
            Action::Lookup(next) => lookup = next,
            action => return Some(preset_verdict(state, aws, nth, action)),
        }
    }
}

/// A preset's action as a verdict; refusals are counted as faults.
fn preset_verdict(state: &mut RunState, aws: &AwsRequest, nth: u64, action: Action) -> Verdict {
    match action {
        Action::Refuse(error) => {
            state.stats.record_fault(&aws.call, nth, FaultKind::Error);
            Verdict::Answer(error)
        }
        Action::Reply(reply) => Verdict::Reply(reply.into_response()),
        Action::Lookup(lookup) => Verdict::Lookup(lookup, nth),
    }
}

/// Count the call and pick its fault, if any, in priority order: scripted, random,
/// DependencyViolation, eventual consistency; then the AWS-behaviour presets.
fn decide(shared: &Shared, aws: &AwsRequest, body: &[u8]) -> (Verdict, std::time::Duration) {
    let now = Instant::now();
    let mut state = shared.state();
    let state = &mut *state;
    state.stats.record_call(&aws.call);
    let roll = state.dice.roll(&state.config, &aws.call);
    let matching = state
        .config
        .scripted
        .iter()
        .filter(|s| s.matches(&aws.call.service, &aws.call.operation, roll.nth));
    let held: std::time::Duration = matching.clone().filter_map(ScriptedFault::delay).sum();
    let latency = roll.latency + held;
    let fault = matching
        .filter_map(|s| scripted_verdict(&s.fault, aws.protocol))
        .next()
        .or_else(|| roll.fault.map(|f| random_verdict(f, aws.protocol)))
        .or_else(|| {
            let refused = state
                .dependency
                .check(aws, &state.config.dependency_violation, now);
            refused.map(|e| (Verdict::Answer(e), FaultKind::DependencyViolation))
        })
        .or_else(|| {
            let missing =
                consistency::not_found(aws, &state.registry, &state.config.consistency, now);
            missing.map(|e| (Verdict::Answer(e), FaultKind::NotFound))
        });
    match fault {
        Some((verdict, kind)) => {
            state.stats.record_fault(&aws.call, roll.nth, kind);
            (verdict, latency)
        }
        None => {
            let action = state
                .presets
                .before(aws, body, &state.config, &state.registry, now);
            let verdict = match action {
                Some(action) => preset_verdict(state, aws, roll.nth, action),
                None => Verdict::Forward { drop_after: false },
            };
            (verdict, latency)
        }
    }
}

fn random_verdict(fault: RandomFault, protocol: Protocol) -> (Verdict, FaultKind) {
    let verdict = match fault {
        RandomFault::Throttle => Verdict::Answer(AwsError::throttling(protocol)),
        RandomFault::ServerError { unavailable } => {
            Verdict::Answer(AwsError::server_error(unavailable))
        }
        RandomFault::DropBefore => Verdict::DropBefore,
        RandomFault::DropAfter => Verdict::Forward { drop_after: true },
    };
    (verdict, fault.kind())
}

/// The scripted fault's verdict; `None` for a delay, which is no fault.
fn scripted_verdict(fault: &ScriptedKind, protocol: Protocol) -> Option<(Verdict, FaultKind)> {
    let verdict = match fault {
        ScriptedKind::Delay { .. } => return None,
        ScriptedKind::Throttle => random_verdict(RandomFault::Throttle, protocol),
        ScriptedKind::ServerError => {
            random_verdict(RandomFault::ServerError { unavailable: false }, protocol)
        }
        ScriptedKind::DropBefore => random_verdict(RandomFault::DropBefore, protocol),
        ScriptedKind::DropAfter => random_verdict(RandomFault::DropAfter, protocol),
        ScriptedKind::Error {
            status,
            code,
            message,
        } => (
            Verdict::Answer(AwsError::custom(*status, code, message.as_deref())),
            FaultKind::Error,
        ),
    };
    Some(verdict)
}

/// Learn created objects from a successful response and show pending states in it.
fn observe_response(shared: &Shared, aws: &AwsRequest, status: StatusCode, body: Bytes) -> Bytes {
    if !status.is_success() {
        return body;
    }
    // Moto answers UTF-8 XML or JSON; anything else passes untouched.
    let Ok(text) = std::str::from_utf8(&body) else {
        return body;
    };
    let now = Instant::now();
    let mut state = shared.state();
    let state = &mut *state;
    state.registry.learn_created(&aws.call, text, now);
    if aws.call.operation == "ModifyDBInstance" {
        if let Some(id) = aws.param("DBInstanceIdentifier") {
            state.registry.learn_modified(id, now);
        }
    }
    let timings = Timings::of(&state.config);
    let pending = pending::rewrite(&aws.call, text, &mut state.registry, &timings, now);
    if pending.is_some() {
        state.stats.record_pending();
    }
    let shown = pending.as_deref().unwrap_or(text);
    let presets = state
        .presets
        .after(aws, shown, &state.config, &mut state.registry, now);
    match presets.or(pending) {
        Some(rewritten) => Bytes::from(rewritten),
        None => body,
    }
}

/// Send the request to moto on a fresh connection and collect its whole response.
async fn forward(
    upstream: &str,
    parts: &RequestParts,
    path_and_query: &str,
    body: Bytes,
) -> Result<(ResponseParts, Bytes), ProxyError> {
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(ProxyError::Upstream)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(ProxyError::UpstreamHttp)?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(parts.method.clone())
        .uri(path_and_query)
        .body(Full::new(body))
        .map_err(ProxyError::Request)?;
    *request.headers_mut() = end_to_end_headers(&parts.headers);
    let response = sender
        .send_request(request)
        .await
        .map_err(ProxyError::UpstreamHttp)?;
    let (mut parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(ProxyError::UpstreamHttp)?
        .to_bytes();
    parts.headers = end_to_end_headers(&parts.headers);
    Ok((parts, body))
}

/// Headers minus the hop-by-hop ones and the length, which hyper sets for the new body.
fn end_to_end_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "proxy-connection",
        "upgrade",
    ] {
        out.remove(name);
    }
    out
}

fn bad_gateway(error: &ProxyError) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("aws-fault-proxy: {error}"))));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain"),
    );
    response
}
