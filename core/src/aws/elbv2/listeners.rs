//! Listeners: what the stack's load balancer does with HTTP and HTTPS requests.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ForwardActionConfig, Listener as SdkListener,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, TargetGroupTuple,
};

use super::{single, TLS_POLICY};
use crate::aws::not_found::{none_if_not_found, ok_if_not_found};
use crate::aws::tags::sdk_tags;
use crate::aws::{elbv2_send_once, Clients, SendFor};
use crate::error::{Result, StackError};

/// What a listener does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerAction {
    Forward {
        target_group_arn: String,
    },
    /// Permanent (301) redirect to the same URL on HTTPS 443.
    RedirectToHttps,
    /// Anything this provider never configures (drift to repair).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub arn: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub certificate_arn: Option<String>,
    pub ssl_policy: Option<String>,
    pub action: Option<ListenerAction>,
}

/// A listener as the stack wants it: HTTP, or HTTPS with a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerRequest {
    pub port: i64,
    /// `Some` makes an HTTPS listener with [`TLS_POLICY`].
    pub certificate_arn: Option<String>,
    pub action: ListenerAction,
}

impl ListenerRequest {
    pub fn protocol(&self) -> &'static str {
        if self.certificate_arn.is_some() {
            "HTTPS"
        } else {
            "HTTP"
        }
    }

    /// The port as the SDK types it (a port out of range reads as 80, the default listener's).
    fn sdk_port(&self) -> i32 {
        i32::try_from(self.port).unwrap_or(80)
    }

    /// [`TLS_POLICY`] for an HTTPS listener.
    fn ssl_policy(&self) -> Option<String> {
        self.certificate_arn
            .as_ref()
            .map(|_| TLS_POLICY.to_string())
    }

    /// The certificate of an HTTPS listener.
    fn certificates(&self) -> Option<Vec<Certificate>> {
        let arn = self.certificate_arn.as_ref()?;
        Some(vec![Certificate::builder().certificate_arn(arn).build()])
    }

    /// Whether `listener` already does what this request asks.
    pub fn is_met_by(&self, listener: &Listener) -> bool {
        listener.port == Some(self.port)
            && listener.protocol.as_deref() == Some(self.protocol())
            && listener.certificate_arn == self.certificate_arn
            && (self.certificate_arn.is_none()
                || listener.ssl_policy.as_deref() == Some(TLS_POLICY))
            && listener.action.as_ref() == Some(&self.action)
    }
}

fn action_from(action: &Action) -> ListenerAction {
    match action.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let direct = action.target_group_arn().map(str::to_string);
            let weighted = action
                .forward_config()
                .and_then(|f| f.target_groups().first())
                .and_then(|t| t.target_group_arn())
                .map(str::to_string);
            match direct.or(weighted) {
                Some(target_group_arn) => ListenerAction::Forward { target_group_arn },
                None => ListenerAction::Other("forward without a target group".to_string()),
            }
        }
        Some(ActionTypeEnum::Redirect) => match action.redirect_config() {
            Some(redirect)
                if redirect.protocol() == Some("HTTPS")
                    && redirect.port() == Some("443")
                    && redirect.status_code() == Some(&RedirectActionStatusCodeEnum::Http301) =>
            {
                ListenerAction::RedirectToHttps
            }
            _ => ListenerAction::Other("redirect elsewhere".to_string()),
        },
        other => ListenerAction::Other(other.map(|t| t.as_str().to_string()).unwrap_or_default()),
    }
}

fn listener_from(listener: &SdkListener) -> Listener {
    Listener {
        arn: listener.listener_arn().unwrap_or_default().to_string(),
        port: listener.port().map(i64::from),
        protocol: listener.protocol().map(|p| p.as_str().to_string()),
        certificate_arn: listener
            .certificates()
            .first()
            .and_then(|c| c.certificate_arn())
            .map(str::to_string),
        ssl_policy: listener.ssl_policy().map(str::to_string),
        action: listener.default_actions().first().map(action_from),
    }
}

fn sdk_action(action: &ListenerAction) -> Result<Action> {
    match action {
        ListenerAction::Forward { target_group_arn } => Ok(Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(target_group_arn)
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(
                        TargetGroupTuple::builder()
                            .target_group_arn(target_group_arn)
                            .build(),
                    )
                    .build(),
            )
            .build()),
        ListenerAction::RedirectToHttps => Ok(Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .host("#{host}")
                    .path("/#{path}")
                    .query("#{query}")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build()),
        ListenerAction::Other(kind) => Err(StackError::Internal(format!(
            "listener action {kind:?} is never configured by this provider"
        ))),
    }
}

/// The listeners of a load balancer (none when it is gone).
pub async fn listeners(clients: &Clients, load_balancer_arn: &str) -> Result<Vec<Listener>> {
    let result = clients
        .elbv2
        .describe_listeners()
        .load_balancer_arn(load_balancer_arn)
        .send()
        .for_object(load_balancer_arn)
        .await;
    match result {
        Ok(output) => Ok(output.listeners().iter().map(listener_from).collect()),
        Err(e) => none_if_not_found(e).map(Option::unwrap_or_default),
    }
}

pub async fn create_listener(
    clients: &Clients,
    load_balancer_arn: &str,
    request: &ListenerRequest,
    tags: &BTreeMap<String, String>,
) -> Result<Listener> {
    let output = clients
        .elbv2
        .create_listener()
        .load_balancer_arn(load_balancer_arn)
        .port(request.sdk_port())
        .protocol(ProtocolEnum::from(request.protocol()))
        .set_ssl_policy(request.ssl_policy())
        .set_certificates(request.certificates())
        .default_actions(sdk_action(&request.action)?)
        .set_tags(Some(sdk_tags(tags)?))
        .customize()
        .config_override(elbv2_send_once())
        .send()
        .for_object(format!(
            "{} listener of {load_balancer_arn}",
            request.protocol()
        ))
        .await?;
    single(output.listeners().iter().map(listener_from).collect()).ok_or_else(|| {
        StackError::Internal(format!(
            "CreateListener on {load_balancer_arn} returned no listener"
        ))
    })
}

/// Bring an existing listener to `request` (protocol, certificate, policy, action).
pub async fn modify_listener(
    clients: &Clients,
    listener_arn: &str,
    request: &ListenerRequest,
) -> Result<()> {
    clients
        .elbv2
        .modify_listener()
        .listener_arn(listener_arn)
        .port(request.sdk_port())
        .protocol(ProtocolEnum::from(request.protocol()))
        .set_ssl_policy(request.ssl_policy())
        .set_certificates(request.certificates())
        .default_actions(sdk_action(&request.action)?)
        .send()
        .for_object(listener_arn)
        .await?;
    Ok(())
}

/// Delete a listener. Already gone is success.
pub async fn delete_listener(clients: &Clients, listener_arn: &str) -> Result<()> {
    let result = clients
        .elbv2
        .delete_listener()
        .listener_arn(listener_arn)
        .send()
        .for_object(listener_arn)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_not_found(e),
    }
}
