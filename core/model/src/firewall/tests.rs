use super::*;

fn ids() -> BTreeMap<String, String> {
    TIERS
        .iter()
        .map(|t| (t.to_string(), format!("sg-{t}")))
        .collect()
}

fn keys(rules: &[SgRule]) -> Vec<(String, i32, Peer)> {
    let mut keys: Vec<_> = rules
        .iter()
        .map(|r| (r.protocol.clone(), r.from_port, r.peer.clone()))
        .collect();
    keys.sort();
    keys
}

fn tcp(port: i32, peer: Peer) -> (String, i32, Peer) {
    ("tcp".into(), port, peer)
}

#[test]
fn groups_are_chained_by_id_and_nothing_else_gets_in() {
    let mut spec = StackSpec::with_name("blog");
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
    let rules = desired_rules(&spec, &ids());
    let ingress = |tier: &str| keys(&rules[tier].0);
    assert_eq!(ingress("app"), {
        let mut v = vec![
            tcp(80, Peer::Group("sg-alb".into())),
            tcp(22, Peer::Group("sg-bastion".into())),
        ];
        v.sort();
        v
    });
    assert_eq!(
        ingress("efs"),
        vec![tcp(2049, Peer::Group("sg-app".into()))]
    );
    assert_eq!(ingress("db"), vec![tcp(3306, Peer::Group("sg-app".into()))]);
    assert_eq!(
        ingress("bastion"),
        vec![tcp(22, Peer::Cidr("203.0.113.0/24".into()))]
    );
    assert_eq!(
        ingress("alb").len(),
        2,
        "80 over IPv4 and IPv6, no 443 without a certificate"
    );
    assert!(rules["efs"].1.is_empty() && rules["db"].1.is_empty());
}

#[test]
fn every_rule_says_what_it_lets_in_in_words_aws_accepts() {
    let mut spec = StackSpec::with_name("blog");
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into(), "2001:db8::/32".into()];
    spec.load_balancer.certificate_arn = Some("arn:aws:acm:us-east-1:1:certificate/x".into());
    for (tier, (ingress, egress)) in desired_rules(&spec, &ids()) {
        for rule in ingress.iter().chain(&egress) {
            assert!(
                !rule.description.is_empty() && valid_description(&rule.description),
                "{tier}: {rule:?}"
            );
        }
    }
    assert!(!valid_description("it's"), "AWS refuses apostrophes");
}

#[test]
fn a_certificate_opens_443_and_no_cidrs_means_no_ssh() {
    let mut spec = StackSpec::with_name("blog");
    spec.load_balancer.certificate_arn = Some("arn:aws:acm:us-east-1:1:certificate/x".into());
    let rules = desired_rules(&spec, &ids());
    assert!(rules["alb"]
        .0
        .iter()
        .any(|r| r.from_port == 443 && r.peer == Peer::Ipv6Cidr("::/0".into())));
    assert!(rules["bastion"].0.is_empty());
}

fn port_22_on_app(spec: &StackSpec) -> Vec<SgRule> {
    desired_rules(spec, &ids())["app"]
        .0
        .iter()
        .filter(|r| r.from_port <= 22 && 22 <= r.to_port)
        .cloned()
        .collect()
}

#[test]
fn without_a_bastion_the_instances_take_no_ssh_at_all() {
    let mut spec = StackSpec::with_name("blog");
    spec.bastion.enabled = false;
    spec.bastion.allowed_ssh_cidrs = vec!["203.0.113.0/24".into()];
    assert!(port_22_on_app(&spec).is_empty());
    assert_eq!(
        keys(&desired_rules(&spec, &ids())["app"].0),
        vec![tcp(80, Peer::Group("sg-alb".into()))]
    );
}

#[test]
fn toggling_the_bastion_revokes_then_restores_only_the_ssh_rule() {
    let mut enabled = StackSpec::with_name("blog");
    enabled.bastion.enabled = true;
    let mut disabled = enabled.clone();
    disabled.bastion.enabled = false;
    let ssh = port_22_on_app(&enabled);
    assert_eq!(keys(&ssh), vec![tcp(22, Peer::Group("sg-bastion".into()))]);

    let app = |spec: &StackSpec| desired_rules(spec, &ids())["app"].clone();
    // enabled → disabled: the converge diff revokes SSH and nothing else.
    let diff = rule_diff(&app(&enabled).0, &app(&disabled).0);
    assert!(diff.add.is_empty() && diff.redescribe.is_empty());
    assert_eq!(diff.remove, ssh);
    assert_eq!(app(&enabled).1, app(&disabled).1, "egress unchanged");
    // disabled → enabled: it comes back.
    let diff = rule_diff(&app(&disabled).0, &app(&enabled).0);
    assert_eq!(diff.add, ssh);
    assert!(diff.remove.is_empty());
}

#[test]
fn diff_adds_missing_and_removes_extra_rules() {
    let default_egress = SgRule {
        protocol: "-1".into(),
        from_port: -1,
        to_port: -1,
        peer: Peer::Cidr("0.0.0.0/0".into()),
        description: String::new(),
    };
    let wanted = vec![SgRule::tcp(3306, Peer::Group("sg-db".into()), "MySQL")];
    let diff = rule_diff(std::slice::from_ref(&default_egress), &wanted);
    assert_eq!(diff.add, wanted);
    assert_eq!(diff.remove, vec![default_egress]);
    assert!(rule_diff(&wanted, &wanted).is_empty());
}

#[test]
fn a_rule_differing_only_by_description_is_described_again_not_replaced() {
    let wanted = vec![SgRule::tcp(3306, Peer::Group("sg-db".into()), "MySQL")];
    let bare = vec![SgRule::tcp(3306, Peer::Group("sg-db".into()), "")];
    let diff = rule_diff(&bare, &wanted);
    assert!(diff.add.is_empty() && diff.remove.is_empty());
    assert_eq!(diff.redescribe, wanted);
    assert!(same_rules(&bare, &wanted));
}
