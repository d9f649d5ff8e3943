use super::*;
use crate::spec::Secret;

fn spec(nat: NatMode) -> StackSpec {
    let mut spec = StackSpec::with_name("blog");
    spec.network.availability_zones = Some(vec![
        "us-east-1a".into(),
        "us-east-1b".into(),
        "us-east-1c".into(),
    ]);
    spec.network.nat_gateways = nat;
    spec
}

fn applied(spec: &StackSpec) -> StackState {
    let mut state = StackState::new(spec.clone());
    state.spec.database.password = Some(Secret::new("x"));
    for az in ["us-east-1a", "us-east-1b", "us-east-1c"] {
        if spec.network.nat_gateways == NatMode::OnePerAz || az == "us-east-1a" {
            state.resources.insert(
                logical::qualified(logical::NAT_GATEWAY, az),
                format!("nat-{az}"),
            );
        }
    }
    if let Some(dns) = &spec.dns {
        state
            .resources
            .insert(logical::DNS_RECORD.into(), dns.record_id());
    }
    state
}

fn offered_everywhere(query: &PreflightQuery) -> PreflightFacts {
    let mut facts = PreflightFacts {
        eip_limit: Some(5),
        ..PreflightFacts::default()
    };
    for check in &query.instance_types {
        facts
            .offered
            .entry(check.instance_type.clone())
            .or_default()
            .extend(check.zones.iter().cloned());
    }
    facts
}

fn paths(errors: &[SpecError]) -> Vec<String> {
    errors.iter().map(|e| e.path.to_string()).collect()
}

#[test]
fn a_create_asks_about_everything_it_makes() {
    let mut desired = spec(NatMode::OnePerAz);
    desired.wordpress.key_name = Some("ops".into());
    desired.dns = Some(DnsSpec::new("Z1", "blog.example.com"));
    desired.load_balancer.certificate_arn = Some("arn:cert".into());
    let query = PreflightQuery::of(&desired, None);
    assert!(query.new_vpc);
    assert_eq!(query.new_nat_zones.len(), 3);
    assert_eq!(query.instance_types.len(), 2, "app and bastion");
    assert_eq!(
        query.instance_types[1].zones,
        vec!["us-east-1a".to_string()]
    );
    assert!(query.database.is_some() && query.record.is_some());
    assert_eq!(query.key_pairs.len(), 1);
    assert_eq!(
        query.certificate,
        Some(("arn:cert".into(), Some("blog.example.com".into())))
    );
}

#[test]
fn a_no_op_update_asks_nothing() {
    let mut desired = spec(NatMode::OnePerAz);
    desired.dns = Some(DnsSpec::new("Z1", "blog.example.com"));
    desired.wordpress.key_name = Some("ops".into());
    desired.load_balancer.certificate_arn = Some("arn:cert".into());
    let prior = applied(&desired);
    assert!(PreflightQuery::of(&desired, Some(&prior)).is_empty());
}

#[test]
fn going_from_one_nat_to_one_per_zone_asks_for_two_addresses() {
    let prior = applied(&spec(NatMode::Single));
    let query = PreflightQuery::of(&spec(NatMode::OnePerAz), Some(&prior));
    assert_eq!(query.new_nat_zones, vec!["us-east-1b", "us-east-1c"]);
    assert!(!query.new_vpc && query.instance_types.is_empty() && query.database.is_none());
    let facts = PreflightFacts {
        eip_limit: Some(5),
        eips_in_use: 4,
        ..PreflightFacts::default()
    };
    let errors = judge(&query, &facts);
    assert_eq!(paths(&errors), vec!["network.nat_gateways"]);
    assert!(
        errors[0].detail.contains("allows 5 Elastic IPs"),
        "{}",
        errors[0].detail
    );
    assert!(errors[0].detail.contains("4 are allocated"));
    assert!(errors[0].detail.contains("nat_gateways = \"single\""));
}

#[test]
fn three_of_five_addresses_in_use_refuse_three_nats_but_fit_one() {
    let query = PreflightQuery::of(&spec(NatMode::OnePerAz), None);
    let mut facts = offered_everywhere(&query);
    facts.eips_in_use = 3;
    assert_eq!(paths(&judge(&query, &facts)), vec!["network.nat_gateways"]);
    let single = PreflightQuery::of(&spec(NatMode::Single), None);
    let mut facts = offered_everywhere(&single);
    facts.eips_in_use = 3;
    assert!(judge(&single, &facts).is_empty());
}

#[test]
fn default_vpc_gateway_and_nat_quotas_reached_are_warned_not_refused() {
    let query = PreflightQuery::of(&spec(NatMode::OnePerAz), None);
    let mut facts = offered_everywhere(&query);
    facts.vpcs_in_use = 5;
    facts.internet_gateways_in_use = 5;
    facts.nat_gateways_in_use.insert("us-east-1b".into(), 5);
    // An account may have raised these quotas, and no EC2 API says so.
    assert!(judge(&query, &facts).is_empty());
    let errors = cautions(&query, &facts);
    assert_eq!(
        paths(&errors),
        vec![
            "network.vpc_cidr",
            "network.vpc_cidr",
            "network.nat_gateways"
        ]
    );
    assert!(errors[0].detail.contains("5 VPCs per region and 5 exist"));
    assert!(errors[2].summary.contains("us-east-1b"));
}

#[test]
fn a_type_missing_in_one_zone_is_refused_on_its_attribute() {
    let query = PreflightQuery::of(&spec(NatMode::Single), None);
    let mut facts = offered_everywhere(&query);
    facts
        .offered
        .get_mut("t3.small")
        .unwrap()
        .remove("us-east-1c");
    let errors = judge(&query, &facts);
    assert_eq!(paths(&errors), vec!["wordpress.instance_type"]);
    assert!(errors[0].summary.contains("not offered in us-east-1c"));
}

#[test]
fn database_versions_match_by_major_minor_or_exactly() {
    assert!(version_matches("8.4", "8.4.3"));
    assert!(version_matches("8.0.35", "8.0.35"));
    assert!(!version_matches("8.0", "8.0a"));
    assert!(!version_matches("8.4", "8.0.39"));
    let query = PreflightQuery::of(&spec(NatMode::Single), None);
    let mut facts = offered_everywhere(&query);
    facts.orderable_versions = Some(vec!["5.7.44".into()]);
    assert_eq!(
        paths(&judge(&query, &facts)),
        vec!["database.instance_class"]
    );
    facts.orderable_versions = None;
    assert!(
        judge(&query, &facts).is_empty(),
        "nothing listed: nothing to judge"
    );
}

#[test]
fn records_must_lie_in_the_zone_and_be_free_or_owned() {
    let mut desired = spec(NatMode::Single);
    desired.dns = Some(DnsSpec::new("/hostedzone/Z1", "blog.example.com."));
    let query = PreflightQuery::of(&desired, None);
    let mut facts = offered_everywhere(&query);
    assert_eq!(paths(&judge(&query, &facts)), vec!["dns.zone_id"]);
    facts.zone_name = Some("example.org.".into());
    assert_eq!(paths(&judge(&query, &facts)), vec!["dns.record_name"]);
    facts.zone_name = Some("Example.com.".into());
    assert!(judge(&query, &facts).is_empty());
    facts.records.push(FoundRecord {
        description: "A 192.0.2.1".into(),
        alias_target: None,
    });
    let errors = judge(&query, &facts);
    assert_eq!(paths(&errors), vec!["dns.record_name"]);
    assert!(errors[0].detail.contains("A 192.0.2.1"));
    assert!(errors[0].detail.contains("allow_overwrite = true"));
    desired.dns.as_mut().unwrap().allow_overwrite = true;
    let query = PreflightQuery::of(&desired, None);
    assert!(judge(&query, &facts).is_empty());
}

#[test]
fn an_alias_to_the_stacks_own_load_balancer_is_the_stacks() {
    let mut before = spec(NatMode::Single);
    before.dns = None;
    let mut prior = applied(&before);
    prior.outputs.alb_dns_name = Some("blog-alb-1.us-east-1.elb.amazonaws.com".into());
    let mut desired = before.clone();
    desired.dns = Some(DnsSpec::new("Z1", "blog.example.com"));
    let query = PreflightQuery::of(&desired, Some(&prior));
    let record = query.record.clone().expect("the new record is checked");
    assert!(!record.owned);
    let facts = PreflightFacts {
        zone_name: Some("example.com".into()),
        records: vec![FoundRecord {
            description: "A alias".into(),
            alias_target: Some("dualstack.blog-alb-1.us-east-1.elb.amazonaws.com.".into()),
        }],
        ..PreflightFacts::default()
    };
    assert!(judge(&query, &facts).is_empty());
}

#[test]
fn key_pairs_and_certificates_must_exist_be_issued_and_cover_the_name() {
    let mut desired = spec(NatMode::Single);
    desired.bastion.key_name = Some("ops".into());
    desired.dns = Some(DnsSpec::new("Z1", "blog.example.com"));
    desired.load_balancer.certificate_arn = Some("arn:cert".into());
    let query = PreflightQuery::of(&desired, None);
    let mut facts = offered_everywhere(&query);
    facts.zone_name = Some("example.com".into());
    assert_eq!(
        paths(&judge(&query, &facts)),
        vec!["bastion.key_name", "load_balancer.certificate_arn"]
    );
    facts.key_pairs.insert("ops".into());
    facts.certificate = Some(CertificateFacts {
        status: "PENDING_VALIDATION".into(),
        names: vec!["www.example.com".into()],
    });
    let errors = judge(&query, &facts);
    assert_eq!(errors.len(), 2, "not issued, and not covering the name");
    facts.certificate = Some(CertificateFacts {
        status: "ISSUED".into(),
        names: vec!["example.com".into(), "*.example.com".into()],
    });
    assert!(judge(&query, &facts).is_empty());
    assert!(covers("*.example.com", "blog.example.com"));
    assert!(!covers("*.example.com", "a.blog.example.com"));
    assert!(!covers("*.example.com", "example.com"));
}
