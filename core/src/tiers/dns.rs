//! The DNS tier: when `dns` is set, a Route 53 alias A record `record_name` → the ALB.
//!
//! The step exists whether or not `dns` is set, so that removing the block deletes the record
//! the stack made before. The record's id in `resources` is `<zone id>/<record name>`: enough
//! to find it again, even after the block is gone from the spec.

use std::sync::Arc;

use super::context::StepContext;
use super::layout::StackLayout;
use super::load_balancer::{self, names_stack_load_balancer, stack_url};
use super::step::Step;
use super::step_id;
use crate::aws::elbv2::{self, LoadBalancer};
use crate::aws::route53::{self, AliasRecord, ExistingRecord};
use crate::error::{FieldPath, Result, SpecError, StackError};
use crate::spec::DnsSpec;
use crate::state::logical;
use crate::wait::usual;

/// `<zone id>/<record name>`: the record's id in the state.
pub fn record_id(dns: &DnsSpec) -> String {
    dns.record_id()
}

/// The zone id and record name of a recorded id.
pub fn parse_record_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
        .filter(|(zone, name)| !zone.is_empty() && !name.is_empty())
}

pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![Step::new(step_id::DNS_RECORD, [step_id::LOAD_BALANCER])
        .waits_for(usual::DNS_CHANGE)
        .create(|ctx| async move { converge_record(&ctx).await })
        .delete(|ctx| async move { delete_record(&ctx).await })]
}

async fn converge_record(ctx: &Arc<StepContext>) -> Result<()> {
    let wanted_id = ctx.spec().dns.as_ref().map(record_id);
    // A record made for another name (or when DNS was set and no longer is) goes first.
    if let Some(previous) = ctx.resource(logical::DNS_RECORD) {
        if Some(&previous) != wanted_id.as_ref() {
            delete_recorded(ctx, &previous).await?;
        }
    }
    let Some(dns) = ctx.spec().dns.clone() else {
        return Ok(());
    };
    let alb_dns_name = ctx.snapshot().outputs.alb_dns_name.ok_or_else(|| {
        StackError::Internal("the ALB's DNS name was not recorded by the load balancer step".into())
    })?;
    let alb_zone_id = ctx.snapshot().outputs.alb_zone_id.ok_or_else(|| {
        StackError::Internal("the ALB's zone id was not recorded by the load balancer step".into())
    })?;
    if !route53::zone_exists(&ctx.clients, &dns.zone_id).await? {
        return Err(StackError::Refused {
            what: format!(
                "hosted zone {} does not exist: check dns.zone_id",
                dns.zone_id
            ),
        });
    }
    let wanted = AliasRecord {
        name: route53::normalize(&dns.record_name),
        target_dns_name: alb_dns_name.clone(),
        target_zone_id: alb_zone_id,
        evaluate_target_health: true,
    };
    let existing = route53::conflicting_records(&ctx.clients, &dns.zone_id, &wanted.name).await?;
    // Recorded in the state, or an alias to a balancer of this stack's name that a create cut
    // short (or a network deleted out of band) left behind.
    let owned = ctx.resource(logical::DNS_RECORD) == wanted_id
        || (!existing.is_empty()
            && existing.iter().all(|r| {
                r.alias
                    .as_ref()
                    .is_some_and(|a| names_stack_load_balancer(ctx.stack(), &a.target_dns_name))
            }));
    let already = existing
        .iter()
        .any(|r| r.alias.as_ref().is_some_and(|a| a.points_like(&wanted)));
    // An alias already pointing at this stack's ALB is this stack's (a resumed create).
    if !(already && existing.len() == 1) {
        let change = match write_mode(owned, &dns, &existing)? {
            Write::Create => route53::create_alias(&ctx.clients, &dns.zone_id, &wanted).await?,
            Write::Replace => {
                route53::replace_with_alias(&ctx.clients, &dns.zone_id, &existing, &wanted).await?
            }
        };
        tracing::info!(record = %wanted.name, target = %alb_dns_name, "wrote alias record");
        ctx.record(logical::DNS_RECORD, record_id(&dns));
        route53::wait_change_in_sync(&ctx.clients, ctx.bounds(), &change).await?;
    }
    ctx.record(logical::DNS_RECORD, record_id(&dns));
    let url = stack_url(ctx.spec(), &alb_dns_name);
    ctx.update_outputs(|o| o.url = Some(url));
    Ok(())
}

enum Write {
    Create,
    Replace,
}

/// How to write the alias over `existing`: create it on a free name; replace only a record the
/// stack owns or one `allow_overwrite` hands over; refuse anything else.
fn write_mode(owned: bool, dns: &DnsSpec, existing: &[ExistingRecord]) -> Result<Write> {
    if existing.is_empty() {
        Ok(Write::Create)
    } else if owned || dns.allow_overwrite {
        Ok(Write::Replace)
    } else {
        Err(StackError::InvalidSpec(vec![record_taken(dns, existing)]))
    }
}

/// The refusal of a record name someone else's record holds, on `dns.record_name`.
pub fn record_taken(dns: &DnsSpec, existing: &[ExistingRecord]) -> SpecError {
    let found: Vec<String> = existing.iter().map(ExistingRecord::describe).collect();
    SpecError::new(
        FieldPath::attrs(&["dns", "record_name"]),
        format!(
            "Route 53 record {} already exists and this stack did not create it",
            route53::normalize(&dns.record_name)
        ),
        format!(
            "Hosted zone {} already has {} at {}. The stack never overwrites a record it did not \
create. Choose another record_name, delete that record, or set dns.allow_overwrite = true to \
replace it (the stack then owns it and deletes it on destroy).",
            route53::bare_zone_id(&dns.zone_id),
            found.join(" and "),
            route53::normalize(&dns.record_name),
        ),
    )
}

/// Delete the record `id` names, but only while it points at this stack's ALB (when its name
/// is known): a record repointed by someone since is theirs.
async fn delete_recorded(ctx: &StepContext, id: &str) -> Result<()> {
    if let Some((zone, name)) = parse_record_id(id) {
        let target = ctx.snapshot().outputs.alb_dns_name;
        if let Some(change) =
            route53::delete_alias(&ctx.clients, zone, name, target.as_deref()).await?
        {
            tracing::info!(record = %name, "deleted alias record");
            route53::wait_change_in_sync(&ctx.clients, ctx.bounds(), &change).await?;
        }
    }
    ctx.forget(logical::DNS_RECORD);
    Ok(())
}

/// Destroy deletes only the record the state owns. A create cut off between the write and its
/// record left an alias pointing at this stack's ALB: the refresh before destroy records it.
async fn delete_record(ctx: &Arc<StepContext>) -> Result<()> {
    match ctx.resource(logical::DNS_RECORD) {
        Some(id) => delete_recorded(ctx, &id).await,
        None => Ok(()),
    }
}

/// The alias the spec's `dns` block names, as Route 53 has it (`None` without a block, or
/// when it is gone). Read beside the ALB: [`record_observed`] judges it once both are in.
pub async fn lookup(ctx: &StepContext) -> Result<Option<AliasRecord>> {
    match &ctx.spec().dns {
        Some(dns) => route53::find_alias(&ctx.clients, &dns.zone_id, &dns.record_name).await,
        None => Ok(None),
    }
}

/// Record the alias when it exists and still points at this stack's ALB `lb` (as the load
/// balancer tier just read it). Route 53 records carry no tags: the spec's `dns` block says
/// where to look, and an import (which knows no spec) looks for the one alias of the account
/// that points at the stack's ALB.
pub async fn record_observed(
    ctx: &StepContext,
    lb: Option<&LoadBalancer>,
    record: Option<AliasRecord>,
) -> Result<()> {
    let Some(lb) = lb else {
        return Ok(());
    };
    match (ctx.spec().dns.clone(), record) {
        (Some(dns), Some(record)) => {
            record_if_ours(ctx, &dns, lb, &record);
            Ok(())
        }
        (None, _) if ctx.is_import() => import_record(ctx, lb).await,
        _ => Ok(()),
    }
}

/// Refresh this tier alone (it reads the ALB itself).
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let alb_name = load_balancer::load_balancer_name(ctx.stack());
    let (lb, record) = tokio::join!(
        elbv2::find_load_balancer(&ctx.clients, &alb_name),
        lookup(ctx)
    );
    record_observed(ctx, lb?.as_ref(), record?).await
}

fn record_if_ours(ctx: &StepContext, dns: &DnsSpec, lb: &LoadBalancer, record: &AliasRecord) {
    let ours = AliasRecord {
        name: route53::normalize(&dns.record_name),
        target_dns_name: route53::normalize(&lb.dns_name),
        target_zone_id: lb.canonical_zone_id.clone(),
        evaluate_target_health: record.evaluate_target_health,
    };
    if record.points_like(&ours) {
        ctx.record(logical::DNS_RECORD, record_id(dns));
    }
}

async fn import_record(ctx: &StepContext, lb: &LoadBalancer) -> Result<()> {
    let found = route53::find_aliases_to(&ctx.clients, &lb.dns_name).await?;
    // Several names for one ALB would be a guess: import none and let the user say.
    let [(zone, record)] = found.as_slice() else {
        return Ok(());
    };
    let dns = DnsSpec {
        zone_id: zone.clone(),
        record_name: record.name.clone(),
        allow_overwrite: false,
    };
    ctx.record(logical::DNS_RECORD, record_id(&dns));
    ctx.update_state(|s| s.spec.dns = Some(dns));
    let url = stack_url(&ctx.snapshot().spec, &lb.dns_name);
    ctx.update_outputs(|o| o.url = Some(url));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::StackSpec;

    fn spec_with(dns: Option<DnsSpec>, certificate: Option<&str>) -> StackSpec {
        let mut spec = StackSpec::with_name("blog");
        spec.dns = dns;
        spec.load_balancer.certificate_arn = certificate.map(str::to_string);
        spec
    }

    fn blog_dns() -> DnsSpec {
        DnsSpec {
            zone_id: "/hostedzone/Z0123".into(),
            record_name: "Blog.Example.com.".into(),
            allow_overwrite: false,
        }
    }

    #[test]
    fn url_uses_the_record_name_when_dns_is_set() {
        assert_eq!(
            stack_url(&spec_with(Some(blog_dns()), None), "alb.example"),
            "http://blog.example.com"
        );
        assert_eq!(
            stack_url(
                &spec_with(Some(blog_dns()), Some("arn:cert")),
                "alb.example"
            ),
            "https://blog.example.com"
        );
    }

    #[test]
    fn url_falls_back_to_the_alb() {
        assert_eq!(
            stack_url(&spec_with(None, None), "blog-alb-1.elb.amazonaws.com"),
            "http://blog-alb-1.elb.amazonaws.com"
        );
        assert_eq!(
            stack_url(&spec_with(None, Some("arn:cert")), "x.elb"),
            "https://x.elb"
        );
    }

    #[test]
    fn record_ids_round_trip() {
        let id = record_id(&blog_dns());
        assert_eq!(id, "Z0123/blog.example.com");
        assert_eq!(parse_record_id(&id), Some(("Z0123", "blog.example.com")));
        assert_eq!(parse_record_id("garbage"), None);
    }
}
