//! The load-balancing tier: an internet-facing ALB in the public subnets, a target group on
//! HTTP 80 whose health check answers before WordPress is installed (by default the
//! provider's health file, which must answer 200; any other path may answer 200-399) and
//! which gives leaving instances `deregistration_delay` seconds, and the listeners (HTTP
//! forwarding; or with a certificate, HTTPS forwarding and HTTP redirecting to it).

use std::sync::Arc;

use super::context::StepContext;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use super::tag_sync;
use crate::aws::elbv2::{
    self, HealthCheck, ListenerAction, ListenerRequest, LoadBalancer, TargetGroup,
};
use crate::aws::route53;
use crate::error::Result;
use crate::naming::{bounded_name, ELB_NAME_LIMIT};
use crate::spec::{LoadBalancerSpec, StackSpec};
use crate::state::logical;
use crate::wait::{self, usual};

const ALB_GROUP: &str = "alb";
const HTTP_PORT: i64 = 80;
const HTTPS_PORT: i64 = 443;

/// `<name>-alb`, cut to ELB's 32 characters.
pub fn load_balancer_name(stack: &str) -> String {
    bounded_name(stack, "alb", ELB_NAME_LIMIT)
}

/// Whether `target_dns_name` (an alias target) names a load balancer called this stack's
/// `<name>-alb`, alive or deleted: ELB names it `[dualstack.]<lb-name>-<digits>.<region>…`.
/// A record pointing there was written by this stack (a create cut short, or a stack whose
/// network was deleted out of band); another stack's balancer never ends in digits alone.
pub fn names_stack_load_balancer(stack: &str, target_dns_name: &str) -> bool {
    let target = route53::normalize(target_dns_name);
    let target = target.strip_prefix("dualstack.").unwrap_or(&target);
    let host = target.split('.').next().unwrap_or_default();
    let prefix = format!("{}-", load_balancer_name(stack).to_ascii_lowercase());
    host.strip_prefix(&prefix)
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// `<name>-tg`, cut to ELB's 32 characters.
pub fn target_group_name(stack: &str) -> String {
    bounded_name(stack, "tg", ELB_NAME_LIMIT)
}

/// What users open: the record name when DNS is set, else the ALB's name; HTTPS when the
/// load balancer has a certificate.
pub fn stack_url(spec: &StackSpec, alb_dns_name: &str) -> String {
    let scheme = if spec.load_balancer.certificate_arn.is_some() {
        "https"
    } else {
        "http"
    };
    let host = match &spec.dns {
        Some(dns) => route53::normalize(&dns.record_name),
        None => alb_dns_name.to_string(),
    };
    format!("{scheme}://{host}")
}

pub fn steps(layout: &StackLayout) -> Vec<Step> {
    let mut alb_deps = step_id::all_public_subnets(&layout.zones);
    // An internet-facing ALB is refused in a VPC without an attached internet gateway.
    alb_deps.push(step_id::INTERNET_GATEWAY.to_string());
    alb_deps.push(step_id::SECURITY_GROUPS.to_string());
    vec![
        Step::new(step_id::LOAD_BALANCER, alb_deps)
            .waits_for(usual::LOAD_BALANCER)
            .create(|ctx| async move { converge_load_balancer(&ctx).await })
            .delete(|ctx| async move { delete_load_balancer(&ctx).await }),
        Step::new(step_id::TARGET_GROUP, [step_id::VPC])
            .create(|ctx| async move { converge_target_group(&ctx).await })
            .delete(|ctx| async move { delete_target_group(&ctx).await }),
        Step::new(
            step_id::LISTENERS,
            [step_id::LOAD_BALANCER, step_id::TARGET_GROUP],
        )
        .create(|ctx| async move { converge_listeners(&ctx).await })
        .delete(|ctx| async move { delete_listeners(&ctx).await }),
    ]
}

/// The listeners the spec wants: `(logical name, request)`.
pub fn wanted_listeners(
    spec: &LoadBalancerSpec,
    target_group_arn: &str,
) -> Vec<(&'static str, ListenerRequest)> {
    let forward = ListenerAction::Forward {
        target_group_arn: target_group_arn.to_string(),
    };
    match &spec.certificate_arn {
        None => vec![(
            logical::HTTP_LISTENER,
            ListenerRequest {
                port: HTTP_PORT,
                certificate_arn: None,
                action: forward,
            },
        )],
        Some(certificate) => vec![
            (
                logical::HTTPS_LISTENER,
                ListenerRequest {
                    port: HTTPS_PORT,
                    certificate_arn: Some(certificate.clone()),
                    action: forward,
                },
            ),
            (
                logical::HTTP_LISTENER,
                ListenerRequest {
                    port: HTTP_PORT,
                    certificate_arn: None,
                    action: ListenerAction::RedirectToHttps,
                },
            ),
        ],
    }
}

async fn find_load_balancer(ctx: &StepContext) -> Result<Option<LoadBalancer>> {
    if let Some(arn) = ctx.resource(logical::LOAD_BALANCER) {
        if let Some(lb) = elbv2::describe_load_balancer(&ctx.clients, &arn).await? {
            return Ok(Some(lb));
        }
    }
    elbv2::find_load_balancer(&ctx.clients, &load_balancer_name(ctx.stack())).await
}

async fn find_target_group(ctx: &StepContext) -> Result<Option<TargetGroup>> {
    if let Some(arn) = ctx.resource(logical::TARGET_GROUP) {
        if let Some(tg) = elbv2::describe_target_group(&ctx.clients, &arn).await? {
            return Ok(Some(tg));
        }
    }
    elbv2::find_target_group(&ctx.clients, &target_group_name(ctx.stack())).await
}

fn public_subnet_ids(ctx: &StepContext) -> Result<Vec<String>> {
    ctx.zones()
        .iter()
        .map(|az| ctx.require(&logical::qualified(logical::PUBLIC_SUBNET, az)))
        .collect()
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

async fn converge_load_balancer(ctx: &Arc<StepContext>) -> Result<()> {
    let subnets = public_subnet_ids(ctx)?;
    let groups = vec![ctx.require(&logical::qualified(logical::SECURITY_GROUP, ALB_GROUP))?];
    let lb = match find_load_balancer(ctx).await? {
        Some(lb) => {
            repair_load_balancer(ctx, &lb, &subnets, &groups).await?;
            retag(ctx, &lb.arn, &lb.name).await?;
            lb
        }
        None => {
            let name = load_balancer_name(ctx.stack());
            let tags = tag_sync::wanted(ctx, &name);
            let lb = ctx
                .create_or_adopt(
                    &format!("create load balancer {name}"),
                    || elbv2::create_load_balancer(&ctx.clients, &name, &subnets, &groups, &tags),
                    || find_load_balancer(ctx),
                )
                .await?;
            tracing::info!(load_balancer = %lb.arn, "created load balancer");
            lb
        }
    };
    ctx.record(logical::LOAD_BALANCER, &lb.arn);
    record_load_balancer_outputs(ctx, &lb);
    let idle_timeout = ctx.spec().load_balancer.idle_timeout;
    // The balancer may be moments old: its attributes can answer NotFound for a while.
    let observed = ctx
        .eventually(&format!("attributes of {}", lb.arn), || {
            elbv2::idle_timeout(&ctx.clients, &lb.arn)
        })
        .await?;
    if observed != Some(idle_timeout) {
        ctx.eventually(&format!("idle timeout of {}", lb.arn), || {
            elbv2::set_idle_timeout(&ctx.clients, &lb.arn, idle_timeout)
        })
        .await?;
    }
    elbv2::wait_load_balancer_active(&ctx.clients, ctx.bounds(), &lb.arn).await?;
    Ok(())
}

async fn repair_load_balancer(
    ctx: &StepContext,
    lb: &LoadBalancer,
    subnets: &[String],
    groups: &[String],
) -> Result<()> {
    if !same_set(&lb.security_group_ids, groups) {
        tracing::info!(load_balancer = %lb.arn, "restoring the load balancer's security group");
        elbv2::set_load_balancer_security_groups(&ctx.clients, &lb.arn, groups).await?;
    }
    if !same_set(&lb.subnet_ids, subnets) {
        tracing::info!(load_balancer = %lb.arn, "putting the load balancer back in the public subnets");
        elbv2::set_load_balancer_subnets(&ctx.clients, &lb.arn, subnets).await?;
    }
    Ok(())
}

/// Make the tags of the ELB object `arn`, named `name`, the stack's.
async fn retag(ctx: &StepContext, arn: &str, name: &str) -> Result<()> {
    let observed = elbv2::tags_of(&ctx.clients, &[arn.to_string()]).await?;
    let observed = observed.get(arn).cloned().unwrap_or_default();
    let changes = tag_sync::changes_for(ctx, arn, &observed, name);
    elbv2::retag(&ctx.clients, arn, &changes.set, &changes.remove).await
}

/// `<stack>-http-listener` or `<stack>-https-listener`.
fn listener_name(ctx: &StepContext, request: &ListenerRequest) -> String {
    ctx.name(
        &format!("{}-listener", request.protocol().to_ascii_lowercase()),
        None,
    )
}

fn record_load_balancer_outputs(ctx: &StepContext, lb: &LoadBalancer) {
    let url = stack_url(ctx.spec(), &lb.dns_name);
    ctx.update_outputs(|o| {
        o.alb_dns_name = Some(lb.dns_name.clone());
        o.alb_zone_id = Some(lb.canonical_zone_id.clone());
        o.url = Some(url);
    });
}

async fn delete_load_balancer(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(lb) = find_load_balancer(ctx).await? {
        elbv2::delete_load_balancer(&ctx.clients, &lb.arn).await?;
        tracing::info!(load_balancer = %lb.arn, "deleting load balancer");
        elbv2::wait_load_balancer_deleted(&ctx.clients, ctx.bounds(), &lb.arn).await?;
    }
    ctx.forget(logical::LOAD_BALANCER);
    ctx.update_outputs(|o| {
        o.alb_dns_name = None;
        o.alb_zone_id = None;
        o.url = None;
    });
    Ok(())
}

async fn converge_target_group(ctx: &Arc<StepContext>) -> Result<()> {
    let spec = &ctx.spec().load_balancer;
    let health_check = HealthCheck {
        path: &spec.health_check_path,
        matcher: spec.health_check_matcher(),
    };
    let tg = match find_target_group(ctx).await? {
        Some(tg) => {
            if !health_check.is_met_by(&tg) {
                tracing::info!(target_group = %tg.arn, path = health_check.path, matcher = health_check.matcher, "setting the target group's health check");
                elbv2::set_health_check(&ctx.clients, &tg.arn, health_check).await?;
            }
            retag(ctx, &tg.arn, &tg.name).await?;
            tg
        }
        None => {
            let name = target_group_name(ctx.stack());
            let vpc = ctx.require(logical::VPC)?;
            let tags = tag_sync::wanted(ctx, &name);
            let tg = ctx
                .create_or_adopt(
                    &format!("create target group {name}"),
                    || elbv2::create_target_group(&ctx.clients, &name, &vpc, health_check, &tags),
                    || find_target_group(ctx),
                )
                .await?;
            tracing::info!(target_group = %tg.arn, "created target group");
            tg
        }
    };
    ctx.record(logical::TARGET_GROUP, &tg.arn);
    // AWS's default is 300 s: changed in place, the targets stay registered.
    let delay = spec.deregistration_delay;
    let observed = ctx
        .eventually(&format!("attributes of {}", tg.arn), || {
            elbv2::deregistration_delay(&ctx.clients, &tg.arn)
        })
        .await?;
    if observed != Some(delay) {
        tracing::info!(target_group = %tg.arn, seconds = delay, "setting the deregistration delay");
        ctx.eventually(&format!("deregistration delay of {}", tg.arn), || {
            elbv2::set_deregistration_delay(&ctx.clients, &tg.arn, delay)
        })
        .await?;
    }
    Ok(())
}

async fn delete_target_group(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(tg) = find_target_group(ctx).await? {
        // Still in use for a moment after its listeners and ASG are gone.
        wait::retrying(
            ctx.bounds(),
            &format!("delete target group {}", tg.arn),
            |e| e.aws_code() == Some("ResourceInUse"),
            || elbv2::delete_target_group(&ctx.clients, &tg.arn),
        )
        .await?;
        tracing::info!(target_group = %tg.arn, "deleted target group");
    }
    ctx.forget(logical::TARGET_GROUP);
    Ok(())
}

async fn converge_listeners(ctx: &Arc<StepContext>) -> Result<()> {
    let lb_arn = ctx.require(logical::LOAD_BALANCER)?;
    let tg_arn = ctx.require(logical::TARGET_GROUP)?;
    let wanted = wanted_listeners(&ctx.spec().load_balancer, &tg_arn);
    let existing = elbv2::listeners(&ctx.clients, &lb_arn).await?;
    for listener in &existing {
        let is_wanted = wanted
            .iter()
            .any(|(_, request)| listener.port == Some(request.port));
        if !is_wanted {
            tracing::info!(listener = %listener.arn, port = ?listener.port, "deleting listener the stack does not want");
            elbv2::delete_listener(&ctx.clients, &listener.arn).await?;
        }
    }
    if !wanted
        .iter()
        .any(|(name, _)| *name == logical::HTTPS_LISTENER)
    {
        ctx.forget(logical::HTTPS_LISTENER);
    }
    for (logical_name, request) in &wanted {
        let name = listener_name(ctx, request);
        let arn = match existing.iter().find(|l| l.port == Some(request.port)) {
            Some(listener) => {
                if !request.is_met_by(listener) {
                    tracing::info!(listener = %listener.arn, "updating listener");
                    elbv2::modify_listener(&ctx.clients, &listener.arn, request).await?;
                }
                retag(ctx, &listener.arn, &name).await?;
                listener.arn.clone()
            }
            None => {
                let tags = tag_sync::wanted(ctx, &name);
                let listener = ctx
                    .create_or_adopt(
                        &format!("create listener {name}"),
                        || elbv2::create_listener(&ctx.clients, &lb_arn, request, &tags),
                        || listener_on_port(ctx, &lb_arn, request.port),
                    )
                    .await?;
                tracing::info!(listener = %listener.arn, port = request.port, "created listener");
                listener.arn
            }
        };
        ctx.record(*logical_name, arn);
    }
    Ok(())
}

/// The balancer's listener on `port`, if any (a create whose answer was lost).
async fn listener_on_port(
    ctx: &StepContext,
    lb_arn: &str,
    port: i64,
) -> Result<Option<elbv2::Listener>> {
    let listeners = elbv2::listeners(&ctx.clients, lb_arn).await?;
    Ok(listeners.into_iter().find(|l| l.port == Some(port)))
}

async fn delete_listeners(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(lb) = find_load_balancer(ctx).await? {
        for listener in elbv2::listeners(&ctx.clients, &lb.arn).await? {
            elbv2::delete_listener(&ctx.clients, &listener.arn).await?;
            tracing::info!(listener = %listener.arn, "deleted listener");
        }
    }
    ctx.forget(logical::HTTP_LISTENER);
    ctx.forget(logical::HTTPS_LISTENER);
    Ok(())
}

/// Record the ALB, target group and listeners, write observed settings into the spec, and
/// return the ALB (the DNS tier judges its record against it).
///
/// One round of five concurrent calls: the ALB and the target group by name, and, for the
/// ARNs the prior state knows, the listeners, the ALB's attributes and every tag. Only when
/// the ALB or a listener is not the one the state knew are those asked again.
pub async fn refresh(ctx: &StepContext) -> Result<Option<LoadBalancer>> {
    let prior_lb = ctx
        .prior_resource(logical::LOAD_BALANCER)
        .map(str::to_string);
    let prior_tg = ctx
        .prior_resource(logical::TARGET_GROUP)
        .map(str::to_string);
    let prior_arns: Vec<String> = [
        logical::LOAD_BALANCER,
        logical::TARGET_GROUP,
        logical::HTTP_LISTENER,
        logical::HTTPS_LISTENER,
    ]
    .iter()
    .filter_map(|key| ctx.prior_resource(key).map(str::to_string))
    .collect();
    let clients = &ctx.clients;
    let (tg_name, lb_name) = (
        target_group_name(ctx.stack()),
        load_balancer_name(ctx.stack()),
    );
    let (tg, lb, listeners, idle, delay, tags) = tokio::join!(
        elbv2::find_target_group(clients, &tg_name),
        elbv2::find_load_balancer(clients, &lb_name),
        speculate(prior_lb.as_deref(), |arn| elbv2::listeners(clients, arn)),
        speculate(prior_lb.as_deref(), |arn| elbv2::idle_timeout(clients, arn)),
        speculate(prior_tg.as_deref(), |arn| elbv2::deregistration_delay(
            clients, arn
        )),
        speculate(
            (!prior_arns.is_empty()).then_some(prior_arns.as_slice()),
            |arns| elbv2::tags_of(clients, arns)
        ),
    );
    // ARN → the name its tags should carry.
    let mut named = Vec::new();
    if let Some(tg) = tg? {
        ctx.record(logical::TARGET_GROUP, &tg.arn);
        named.push((tg.arn.clone(), tg.name.clone()));
        let delay = match delay.filter(|_| prior_tg.as_deref() == Some(tg.arn.as_str())) {
            Some(Ok(seconds)) => seconds,
            _ => elbv2::deregistration_delay(clients, &tg.arn).await?,
        };
        record_target_group(ctx, tg, delay);
    }
    let lb = lb?;
    if let Some(lb) = &lb {
        named.push((lb.arn.clone(), lb.name.clone()));
        let known = prior_lb.as_deref() == Some(lb.arn.as_str());
        let listeners = match listeners.filter(|_| known) {
            Some(Ok(found)) => found,
            _ => elbv2::listeners(clients, &lb.arn).await?,
        };
        let idle = match idle.filter(|_| known) {
            Some(Ok(seconds)) => seconds,
            _ => elbv2::idle_timeout(clients, &lb.arn).await?,
        };
        record_load_balancer(ctx, lb, &listeners, idle, &mut named);
    }
    let tags = match tags {
        Some(Ok(tags)) if named.iter().all(|(arn, _)| prior_arns.contains(arn)) => tags,
        _ => {
            let arns: Vec<String> = named.iter().map(|(arn, _)| arn.clone()).collect();
            elbv2::tags_of(clients, &arns).await?
        }
    };
    for (arn, name) in &named {
        tag_sync::observe(ctx, &tags.get(arn).cloned().unwrap_or_default(), name);
    }
    Ok(lb)
}

/// A read about objects the prior state names, made before knowing they still exist: `None`
/// without them; an error here only means "ask again about what exists now".
async fn speculate<'a, K, T, F, Fut>(known: Option<&'a K>, read: F) -> Option<Result<T>>
where
    K: ?Sized,
    F: FnOnce(&'a K) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    match known {
        Some(known) => Some(read(known).await),
        None => None,
    }
}

/// Write the target group's observed health check path and deregistration delay into the
/// spec (a matcher that drifted is put back by the next apply's converge).
fn record_target_group(ctx: &StepContext, tg: TargetGroup, delay: Option<i64>) {
    ctx.update_state(|s| {
        let spec = &mut s.spec.load_balancer;
        if let Some(path) = tg.health_check_path {
            spec.health_check_path = path;
        }
        if let Some(seconds) = delay {
            spec.deregistration_delay = seconds;
        }
    });
}

/// Record the ALB, its listeners and the settings they show; push the listeners' ARNs and
/// names onto `named` for the tag check.
fn record_load_balancer(
    ctx: &StepContext,
    lb: &LoadBalancer,
    listeners: &[elbv2::Listener],
    idle_timeout: Option<i64>,
    named: &mut Vec<(String, String)>,
) {
    ctx.record(logical::LOAD_BALANCER, &lb.arn);
    record_load_balancer_outputs(ctx, lb);
    if let Some(seconds) = idle_timeout {
        ctx.update_state(|s| s.spec.load_balancer.idle_timeout = seconds);
    }
    let https = listeners.iter().find(|l| l.port == Some(HTTPS_PORT));
    let http = listeners.iter().find(|l| l.port == Some(HTTP_PORT));
    if let Some(listener) = http {
        ctx.record(logical::HTTP_LISTENER, &listener.arn);
        named.push((listener.arn.clone(), ctx.name("http-listener", None)));
    }
    if let Some(listener) = https {
        ctx.record(logical::HTTPS_LISTENER, &listener.arn);
        named.push((listener.arn.clone(), ctx.name("https-listener", None)));
    }
    let certificate = https.and_then(|l| l.certificate_arn.clone());
    ctx.update_state(|s| s.spec.load_balancer.certificate_arn = certificate);
    // The URL depends on the observed certificate too.
    let url = stack_url(&ctx.snapshot().spec, &lb.dns_name);
    ctx.update_outputs(|o| o.url = Some(url));
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_alias_to_a_balancer_of_the_stacks_name_is_the_stacks() {
        use super::names_stack_load_balancer as names;
        assert!(names("blog", "blog-alb-123456.us-east-1.elb.amazonaws.com"));
        assert!(names(
            "blog",
            "dualstack.Blog-ALB-9.us-east-1.elb.amazonaws.com."
        ));
        assert!(!names(
            "blog",
            "blog-alb-x-alb-123.us-east-1.elb.amazonaws.com"
        ));
        assert!(!names("blog", "blog-alb-.us-east-1.elb.amazonaws.com"));
        assert!(!names("blog", "other-alb-1.us-east-1.elb.amazonaws.com"));
    }

    use super::*;

    #[test]
    fn names_fit_elb_limits() {
        let long = "a-rather-long-stack-name";
        assert!(load_balancer_name(long).len() <= ELB_NAME_LIMIT);
        assert!(target_group_name(long).len() <= ELB_NAME_LIMIT);
        assert_eq!(load_balancer_name("blog"), "blog-alb");
        assert_eq!(target_group_name("blog"), "blog-tg");
    }

    #[test]
    fn without_a_certificate_http_forwards() {
        let wanted = wanted_listeners(&LoadBalancerSpec::default(), "tg-arn");
        assert_eq!(wanted.len(), 1);
        let (name, request) = &wanted[0];
        assert_eq!(*name, logical::HTTP_LISTENER);
        assert_eq!(request.protocol(), "HTTP");
        assert_eq!(
            request.action,
            ListenerAction::Forward {
                target_group_arn: "tg-arn".into()
            }
        );
    }

    #[test]
    fn with_a_certificate_https_forwards_and_http_redirects() {
        let spec = LoadBalancerSpec {
            certificate_arn: Some("arn:aws:acm:us-east-1:123:certificate/abc".into()),
            ..LoadBalancerSpec::default()
        };
        let wanted = wanted_listeners(&spec, "tg-arn");
        let https = &wanted
            .iter()
            .find(|(n, _)| *n == logical::HTTPS_LISTENER)
            .unwrap()
            .1;
        assert_eq!((https.port, https.protocol()), (443, "HTTPS"));
        assert!(matches!(https.action, ListenerAction::Forward { .. }));
        let http = &wanted
            .iter()
            .find(|(n, _)| *n == logical::HTTP_LISTENER)
            .unwrap()
            .1;
        assert_eq!((http.port, http.protocol()), (80, "HTTP"));
        assert_eq!(http.action, ListenerAction::RedirectToHttps);
    }
}
