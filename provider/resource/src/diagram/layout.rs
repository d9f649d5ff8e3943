//! One stack's objects arranged for the picture: groups by Availability Zone and tier,
//! edges along the traffic.

use std::collections::{BTreeMap, BTreeSet};

use stack_model::state::logical as l;

use super::{Edge, Group, Node, Shape, StackDiagram, StackObjects, AZ_GROUP, INTERNET};

pub fn diagram_of(stack: &StackObjects) -> StackDiagram {
    let mut layout = Layout {
        objects: &stack.objects,
        used: BTreeSet::new(),
        edges: Vec::new(),
    };
    let root = layout.stack_group(&stack.address);
    layout.traffic_edges();
    let not_drawn = stack
        .objects
        .iter()
        .filter(|(name, _)| !layout.used.contains(name.as_str()))
        .map(|(name, id)| (name.clone(), id.clone()))
        .collect();
    StackDiagram {
        address: stack.address.clone(),
        source: stack.source,
        root,
        edges: layout.edges,
        drawn: layout.used,
        not_drawn,
    }
}

struct Layout<'a> {
    objects: &'a BTreeMap<String, Option<String>>,
    used: BTreeSet<String>,
    edges: Vec<Edge>,
}

impl Layout<'_> {
    fn has(&self, name: &str) -> bool {
        self.objects.contains_key(name)
    }

    /// "id" or "known after apply" for an owned object, marking it drawn.
    fn id_line(&mut self, name: &str) -> Option<String> {
        let id = self.objects.get(name)?;
        self.used.insert(name.to_string());
        Some(
            id.as_deref()
                .map_or_else(|| "(known after apply)".to_string(), short_id),
        )
    }

    /// A node for `name` titled `title`, with the ids of `also` (merged objects) under it.
    fn node(
        &mut self,
        name: &str,
        title: &str,
        also: &[(&str, &str)],
        shape: Shape,
    ) -> Option<Node> {
        let mut lines = vec![title.to_string(), self.id_line(name)?];
        for (other, prefix) in also {
            if let Some(id) = self.id_line(other) {
                lines.push(format!("{prefix}{id}"));
            }
        }
        Some(Node {
            key: name.to_string(),
            lines,
            shape,
        })
    }

    fn zones(&self) -> Vec<String> {
        let per_zone = [
            l::PUBLIC_SUBNET,
            l::PRIVATE_SUBNET,
            l::NAT_GATEWAY,
            l::NAT_EIP,
            l::EFS_MOUNT_TARGET,
        ];
        let zones: BTreeSet<String> = self
            .objects
            .keys()
            .filter_map(|name| name.split_once(':'))
            .filter(|(kind, _)| per_zone.contains(kind))
            .map(|(_, zone)| zone.to_string())
            .collect();
        zones.into_iter().collect()
    }

    fn stack_group(&mut self, address: &str) -> Group {
        let dns = self.node(l::DNS_RECORD, "Route 53 alias record", &[], Shape::Box);
        // Regional, outside the VPC: the instances reach it through the NAT.
        let logs = self.node(l::LOG_GROUP, "CloudWatch Logs group", &[], Shape::Cylinder);
        let vpc = self.vpc_group();
        Group {
            key: "stack".to_string(),
            title: address.to_string(),
            nodes: dns.into_iter().chain(logs).collect(),
            groups: vec![vpc],
        }
    }

    fn vpc_group(&mut self) -> Group {
        let title = match self.id_line(l::VPC) {
            Some(id) => format!("VPC {id}"),
            None => "VPC".to_string(),
        };
        let igw = self.node(l::INTERNET_GATEWAY, "Internet gateway", &[], Shape::Box);
        let mut groups: Vec<Group> = self.zones().iter().map(|z| self.zone_group(z)).collect();
        groups.extend(
            [
                self.load_balancing_group(),
                self.app_group(),
                self.data_group(),
                self.operations_group(),
            ]
            .into_iter()
            .filter(|g| !g.nodes.is_empty()),
        );
        Group {
            key: l::VPC.to_string(),
            title,
            nodes: igw.into_iter().collect(),
            groups,
        }
    }

    fn zone_group(&mut self, zone: &str) -> Group {
        let q = |kind| l::qualified(kind, zone);
        let nodes = [
            self.node(&q(l::PUBLIC_SUBNET), "public subnet", &[], Shape::Box),
            self.node(
                &q(l::NAT_GATEWAY),
                "NAT gateway",
                &[(&q(l::NAT_EIP), "EIP ")],
                Shape::Box,
            ),
            self.node(&q(l::PRIVATE_SUBNET), "private subnet", &[], Shape::Box),
            self.node(&q(l::EFS_MOUNT_TARGET), "EFS mount target", &[], Shape::Box),
        ];
        Group {
            key: l::qualified(AZ_GROUP, zone),
            title: zone.to_string(),
            nodes: nodes.into_iter().flatten().collect(),
            groups: Vec::new(),
        }
    }

    fn load_balancing_group(&mut self) -> Group {
        let mut alb = self.node(
            l::LOAD_BALANCER,
            "Application Load Balancer (public subnets)",
            &[],
            Shape::Box,
        );
        // Listener ARNs say little; their protocols are what a reader wants.
        let listeners: Vec<&str> = [(l::HTTP_LISTENER, "HTTP"), (l::HTTPS_LISTENER, "HTTPS")]
            .into_iter()
            .filter(|(name, _)| self.id_line(name).is_some())
            .map(|(_, protocol)| protocol)
            .collect();
        if let (Some(alb), false) = (alb.as_mut(), listeners.is_empty()) {
            alb.lines
                .push(format!("listeners: {}", listeners.join(", ")));
        }
        let target_group = self.node(l::TARGET_GROUP, "target group", &[], Shape::Box);
        let waf = self.node(
            l::WAF_WEB_ACL,
            "WAF web ACL (managed rules, rate limit)",
            &[(l::WAF_ASSOCIATION, "on ")],
            Shape::Box,
        );
        tier("lb", "load balancing", [waf, alb, target_group])
    }

    fn app_group(&mut self) -> Group {
        let asg = self.node(
            l::AUTOSCALING_GROUP,
            "Auto Scaling group (private subnets)",
            &[
                (l::LAUNCH_TEMPLATE, "launch template "),
                (l::SCALING_POLICY, "scaling policy "),
            ],
            Shape::Box,
        );
        tier("app", "app: WordPress in Docker", [asg])
    }

    fn data_group(&mut self) -> Group {
        let efs = self.node(l::EFS_FILE_SYSTEM, "EFS file system", &[], Shape::Cylinder);
        let db = self.node(
            l::DB_INSTANCE,
            "RDS MySQL",
            &[(l::DB_SUBNET_GROUP, "subnet group ")],
            Shape::Cylinder,
        );
        tier("data", "data", [efs, db])
    }

    fn operations_group(&mut self) -> Group {
        let bastion = self.node(
            l::BASTION_INSTANCE,
            "bastion host (public subnet)",
            &[],
            Shape::Box,
        );
        let [alarms, topic] = self.alarm_nodes();
        tier("ops", "operations", [bastion, alarms, topic])
    }

    /// One node for every alarm (their keys listed), the stack's topic beside it with its
    /// subscriptions, and the group's metrics collection under the alarms.
    fn alarm_nodes(&mut self) -> [Option<Node>; 2] {
        let prefix = l::qualified(l::ALARM, "");
        let keys: Vec<String> = self
            .objects
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        let alarms = keys.first().cloned().map(|first| {
            let mut lines = vec![format!("CloudWatch alarms ({})", keys.len())];
            for key in &keys {
                self.used.insert(key.clone());
                lines.push(key[prefix.len()..].to_string());
            }
            if self.id_line(l::GROUP_METRICS).is_some() {
                lines.push("group metrics collected".to_string());
            }
            Node {
                key: first,
                lines,
                shape: Shape::Box,
            }
        });
        let subscriptions = l::qualified(l::ALARM_SUBSCRIPTION, "");
        let emails: Vec<String> = self
            .objects
            .keys()
            .filter(|k| k.starts_with(&subscriptions))
            .cloned()
            .collect();
        let mut topic = self.node(l::ALARM_TOPIC, "SNS alarm topic", &[], Shape::Box);
        if let Some(topic) = topic.as_mut() {
            for key in emails {
                self.used.insert(key.clone());
                topic
                    .lines
                    .push(format!("e-mail {}", &key[subscriptions.len()..]));
            }
        }
        [alarms, topic]
    }

    /// The alarms notify the stack's topic.
    fn alarm_edges(&mut self) {
        let prefix = l::qualified(l::ALARM, "");
        let first = self
            .objects
            .keys()
            .find(|k| k.starts_with(&prefix))
            .cloned();
        if let Some(first) = first {
            self.edge(&first, l::ALARM_TOPIC, Some("notifies"), true);
        }
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&'static str>, dotted: bool) {
        let present = |key: &str| key == INTERNET || self.has(key);
        if present(from) && present(to) {
            self.edges.push(Edge {
                from: from.to_string(),
                to: to.to_string(),
                label,
                dotted,
            });
        }
    }

    fn traffic_edges(&mut self) {
        let entry = if self.has(l::DNS_RECORD) {
            self.edge(INTERNET, l::DNS_RECORD, Some("DNS"), false);
            l::DNS_RECORD
        } else {
            INTERNET
        };
        let web = if self.has(l::HTTPS_LISTENER) {
            "HTTPS"
        } else {
            "HTTP"
        };
        // The web ACL inspects every request before the balancer routes it.
        if self.has(l::WAF_WEB_ACL) {
            self.edge(entry, l::WAF_WEB_ACL, Some(web), false);
            self.edge(l::WAF_WEB_ACL, l::LOAD_BALANCER, Some("allowed"), false);
        } else {
            self.edge(entry, l::LOAD_BALANCER, Some(web), false);
        }
        self.edge(l::LOAD_BALANCER, l::TARGET_GROUP, None, false);
        self.edge(
            l::TARGET_GROUP,
            l::AUTOSCALING_GROUP,
            Some("HTTP 80"),
            false,
        );
        self.edge(
            l::BASTION_INSTANCE,
            l::AUTOSCALING_GROUP,
            Some("SSH 22"),
            false,
        );
        self.edge(
            l::AUTOSCALING_GROUP,
            l::EFS_FILE_SYSTEM,
            Some("NFS 2049"),
            false,
        );
        self.edge(
            l::AUTOSCALING_GROUP,
            l::DB_INSTANCE,
            Some("MySQL 3306"),
            false,
        );
        self.edge(l::AUTOSCALING_GROUP, l::LOG_GROUP, Some("logs"), true);
        let zones = self.zones();
        let nat_zones: Vec<&String> = zones
            .iter()
            .filter(|z| self.has(&l::qualified(l::NAT_GATEWAY, z)))
            .collect();
        for zone in &zones {
            let mount_target = l::qualified(l::EFS_MOUNT_TARGET, zone);
            self.edge(l::EFS_FILE_SYSTEM, &mount_target, None, true);
            // A zone without its own NAT gateway (`nat_gateways = "single"`) uses the first one.
            let nat_zone = nat_zones.iter().find(|z| **z == zone).or(nat_zones.first());
            if let Some(nat_zone) = nat_zone {
                let nat = l::qualified(l::NAT_GATEWAY, nat_zone);
                self.edge(
                    &l::qualified(l::PRIVATE_SUBNET, zone),
                    &nat,
                    Some("egress"),
                    false,
                );
            }
        }
        for zone in nat_zones {
            let nat = l::qualified(l::NAT_GATEWAY, zone);
            self.edge(&nat, l::INTERNET_GATEWAY, None, false);
        }
        self.alarm_edges();
    }
}

fn tier<const N: usize>(key: &str, title: &str, nodes: [Option<Node>; N]) -> Group {
    Group {
        key: format!("tier:{key}"),
        title: title.to_string(),
        nodes: nodes.into_iter().flatten().collect(),
        groups: Vec::new(),
    }
}

/// ARNs are long: keep their resource part (`loadbalancer/app/blog-alb/50c9…`).
pub(super) fn short_id(id: &str) -> String {
    if id.starts_with("arn:") {
        if let Some(resource) = id.splitn(6, ':').nth(5) {
            return resource.to_string();
        }
    }
    id.to_string()
}
