//! The census of a stack: every live object tagged `wordpress-ha:stack = <name>`, asked of each
//! service directly (alarms and their topic included) because moto's tagging API misses EIPs, launch templates, ASGs, Route 53,
//! IAM and secrets. Route 53 records cannot carry tags: [`super::inventory`] adds them.

use super::{inspect_error, AwsInspector, InspectError, TaggedObject, REGION_TAG, STACK_TAG};

impl AwsInspector {
    /// Every live object tagged for `stack`, across EC2, EFS, RDS, ELBv2, Auto Scaling,
    /// Secrets Manager and IAM, sorted. Deleted-but-still-listed objects (terminated
    /// instances, deleted NAT gateways, deleted file systems) are left out.
    pub async fn tagged_objects(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let mut found = self.tagged_ec2_objects(stack).await?;
        found.extend(self.tagged_efs_file_systems(stack).await?);
        found.extend(self.tagged_rds_objects(stack).await?);
        found.extend(self.tagged_elbv2_objects(stack).await?);
        found.extend(self.tagged_auto_scaling_groups(stack).await?);
        found.extend(self.tagged_secrets(stack).await?);
        found.extend(self.tagged_iam_objects(stack).await?);
        found.extend(self.tagged_web_acls(stack).await?);
        found.extend(self.tagged_alarm_objects(stack).await?);
        found.extend(self.tagged_log_groups(stack).await?);
        found.sort();
        Ok(found)
    }

    /// Panics, listing them, if anything tagged for `stack` is left.
    #[track_caller]
    pub fn assert_none_left(objects: &[TaggedObject], stack: &str) {
        let listed: Vec<String> = objects.iter().map(ToString::to_string).collect();
        assert!(
            objects.is_empty(),
            "objects tagged {STACK_TAG}={stack} still exist:\n  {}",
            listed.join("\n  ")
        );
    }

    async fn tagged_ec2_objects(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let ec2 = |kind, id: Option<&str>| TaggedObject {
            service: "ec2",
            kind,
            id: id.unwrap_or("?").to_string(),
        };
        let mut found: Vec<TaggedObject> = Vec::new();
        let vpcs = self.vpcs(stack).await?;
        found.extend(vpcs.iter().map(|v| ec2("vpc", v.vpc_id())));
        let subnets = self.subnets(stack).await?;
        found.extend(subnets.iter().map(|s| ec2("subnet", s.subnet_id())));
        let gateways = self.internet_gateways(stack).await?;
        found.extend(
            gateways
                .iter()
                .map(|g| ec2("internet-gateway", g.internet_gateway_id())),
        );
        let nats = self.nat_gateways(stack).await?;
        found.extend(nats.iter().map(|n| ec2("nat-gateway", n.nat_gateway_id())));
        let tables = self.route_tables(stack).await?;
        found.extend(
            tables
                .iter()
                .map(|r| ec2("route-table", r.route_table_id())),
        );
        let groups = self.security_groups(stack).await?;
        found.extend(groups.iter().map(|g| ec2("security-group", g.group_id())));
        let instances = self.live_instances(stack).await?;
        found.extend(instances.iter().map(|i| ec2("instance", i.instance_id())));
        let addresses = self.addresses(stack).await?;
        found.extend(
            addresses
                .iter()
                .map(|a| ec2("elastic-ip", a.allocation_id())),
        );
        let templates = self.launch_templates(stack).await?;
        found.extend(
            templates
                .iter()
                .map(|t| ec2("launch-template", t.launch_template_id())),
        );
        Ok(found)
    }

    async fn tagged_efs_file_systems(
        &self,
        stack: &str,
    ) -> Result<Vec<TaggedObject>, InspectError> {
        let out = self
            .efs
            .describe_file_systems()
            .send()
            .await
            .map_err(inspect_error("efs", "DescribeFileSystems"))?;
        Ok(out
            .file_systems()
            .iter()
            .filter(|fs| fs.life_cycle_state().as_str() != "deleted")
            .filter(|fs| {
                fs.tags()
                    .iter()
                    .any(|t| t.key() == STACK_TAG && t.value() == stack)
            })
            .map(|fs| TaggedObject {
                service: "efs",
                kind: "file-system",
                id: fs.file_system_id().to_string(),
            })
            .collect())
    }

    async fn tagged_rds_objects(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let instances = self
            .rds
            .describe_db_instances()
            .send()
            .await
            .map_err(inspect_error("rds", "DescribeDBInstances"))?;
        let subnet_groups = self
            .rds
            .describe_db_subnet_groups()
            .send()
            .await
            .map_err(inspect_error("rds", "DescribeDBSubnetGroups"))?;
        let parameter_groups = self
            .rds
            .describe_db_parameter_groups()
            .send()
            .await
            .map_err(inspect_error("rds", "DescribeDBParameterGroups"))?;
        let mut candidates: Vec<(&'static str, String, String)> = Vec::new();
        for db in instances.db_instances() {
            if let (Some(arn), Some(id)) = (db.db_instance_arn(), db.db_instance_identifier()) {
                candidates.push(("db-instance", id.to_string(), arn.to_string()));
            }
        }
        for group in subnet_groups.db_subnet_groups() {
            if let (Some(arn), Some(name)) =
                (group.db_subnet_group_arn(), group.db_subnet_group_name())
            {
                candidates.push(("db-subnet-group", name.to_string(), arn.to_string()));
            }
        }
        for group in parameter_groups.db_parameter_groups() {
            if let (Some(arn), Some(name)) = (
                group.db_parameter_group_arn(),
                group.db_parameter_group_name(),
            ) {
                candidates.push(("db-parameter-group", name.to_string(), arn.to_string()));
            }
        }
        let mut found = Vec::new();
        for (kind, id, arn) in candidates {
            if self.rds_tagged_for(&arn, stack).await? {
                found.push(TaggedObject {
                    service: "rds",
                    kind,
                    id,
                });
            }
        }
        Ok(found)
    }

    async fn rds_tagged_for(&self, arn: &str, stack: &str) -> Result<bool, InspectError> {
        let tags = self
            .rds
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(inspect_error("rds", "ListTagsForResource"))?;
        Ok(tags
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(STACK_TAG) && t.value() == Some(stack)))
    }

    async fn tagged_elbv2_objects(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let balancers = self
            .elbv2
            .describe_load_balancers()
            .send()
            .await
            .map_err(inspect_error("elbv2", "DescribeLoadBalancers"))?;
        let target_groups = self
            .elbv2
            .describe_target_groups()
            .send()
            .await
            .map_err(inspect_error("elbv2", "DescribeTargetGroups"))?;
        let mut arns: Vec<(&'static str, String)> = Vec::new();
        arns.extend(
            balancers
                .load_balancers()
                .iter()
                .filter_map(|lb| lb.load_balancer_arn())
                .map(|arn| ("load-balancer", arn.to_string())),
        );
        arns.extend(
            target_groups
                .target_groups()
                .iter()
                .filter_map(|tg| tg.target_group_arn())
                .map(|arn| ("target-group", arn.to_string())),
        );
        let mut found = Vec::new();
        // DescribeTags takes at most 20 ARNs a call.
        for chunk in arns.chunks(20) {
            let tags = self
                .elbv2
                .describe_tags()
                .set_resource_arns(Some(chunk.iter().map(|(_, arn)| arn.clone()).collect()))
                .send()
                .await
                .map_err(inspect_error("elbv2", "DescribeTags"))?;
            for description in tags.tag_descriptions() {
                let owned = description
                    .tags()
                    .iter()
                    .any(|t| t.key() == Some(STACK_TAG) && t.value() == Some(stack));
                let arn = description.resource_arn().unwrap_or("?");
                let kind = chunk
                    .iter()
                    .find(|(_, a)| a == arn)
                    .map_or("elbv2-object", |(kind, _)| *kind);
                if owned {
                    found.push(TaggedObject {
                        service: "elbv2",
                        kind,
                        id: arn.to_string(),
                    });
                }
            }
        }
        Ok(found)
    }

    async fn tagged_auto_scaling_groups(
        &self,
        stack: &str,
    ) -> Result<Vec<TaggedObject>, InspectError> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .send()
            .await
            .map_err(inspect_error("autoscaling", "DescribeAutoScalingGroups"))?;
        Ok(out
            .auto_scaling_groups()
            .iter()
            .filter(|g| {
                g.tags()
                    .iter()
                    .any(|t| t.key() == Some(STACK_TAG) && t.value() == Some(stack))
            })
            .map(|g| TaggedObject {
                service: "autoscaling",
                kind: "auto-scaling-group",
                id: g.auto_scaling_group_name().unwrap_or("?").to_string(),
            })
            .collect())
    }

    /// Regional WAF web ACLs (by ARN), tags asked of each.
    async fn tagged_web_acls(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let mut found = Vec::new();
        for arn in self.web_acl_arns().await? {
            let tags = self
                .wafv2
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(inspect_error("wafv2", "ListTagsForResource"))?;
            let owned = tags.tag_info_for_resource().is_some_and(|info| {
                info.tag_list()
                    .iter()
                    .any(|t| t.key() == STACK_TAG && t.value() == stack)
            });
            if owned {
                found.push(TaggedObject {
                    service: "wafv2",
                    kind: "web-acl",
                    id: arn,
                });
            }
        }
        Ok(found)
    }

    /// CloudWatch Logs groups (by ARN, without `:*`), tags asked of each.
    async fn tagged_log_groups(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let mut found = Vec::new();
        for group in self.log_groups("").await? {
            let tags = self
                .logs
                .list_tags_for_resource()
                .resource_arn(&group.arn)
                .send()
                .await
                .map_err(inspect_error("logs", "ListTagsForResource"))?;
            let owned = tags
                .tags()
                .and_then(|tags| tags.get(STACK_TAG))
                .is_some_and(|value| value == stack);
            if owned {
                found.push(TaggedObject {
                    service: "logs",
                    kind: "log-group",
                    id: group.arn,
                });
            }
        }
        Ok(found)
    }

    /// Every log group whose name starts with `prefix`: name, ARN (no `:*`), retention, KMS key.
    pub async fn log_groups(&self, prefix: &str) -> Result<Vec<LogGroupSeen>, InspectError> {
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .logs
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .set_next_token(token)
                .send()
                .await
                .map_err(inspect_error("logs", "DescribeLogGroups"))?;
            groups.extend(out.log_groups().iter().map(|g| {
                LogGroupSeen {
                    name: g.log_group_name().unwrap_or_default().to_string(),
                    arn: g
                        .log_group_arn()
                        .map(str::to_string)
                        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
                        .unwrap_or_default(),
                    retention_in_days: g.retention_in_days(),
                    kms_key_id: g.kms_key_id().map(str::to_string),
                }
            }));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(groups);
            }
        }
    }

    /// Every regional web ACL's ARN (one page of 100: tests make a handful).
    pub async fn web_acl_arns(&self) -> Result<Vec<String>, InspectError> {
        let out = self
            .wafv2
            .list_web_acls()
            .scope(aws_sdk_wafv2::types::Scope::Regional)
            .limit(100)
            .send()
            .await
            .map_err(inspect_error("wafv2", "ListWebACLs"))?;
        Ok(out
            .web_acls()
            .iter()
            .filter_map(|acl| acl.arn().map(str::to_string))
            .collect())
    }

    /// The ARN of the web ACL guarding `resource_arn`, if any.
    pub async fn web_acl_for(&self, resource_arn: &str) -> Result<Option<String>, InspectError> {
        let out = self
            .wafv2
            .get_web_acl_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(inspect_error("wafv2", "GetWebACLForResource"))?;
        Ok(out.web_acl().map(|acl| acl.arn().to_string()))
    }

    /// Secrets, including those only scheduled for deletion: they still hold the name.
    async fn tagged_secrets(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let out = self
            .secretsmanager
            .list_secrets()
            .include_planned_deletion(true)
            .send()
            .await
            .map_err(inspect_error("secretsmanager", "ListSecrets"))?;
        Ok(out
            .secret_list()
            .iter()
            .filter(|s| {
                s.tags()
                    .iter()
                    .any(|t| t.key() == Some(STACK_TAG) && t.value() == Some(stack))
            })
            .map(|s| TaggedObject {
                service: "secretsmanager",
                kind: if s.deleted_date().is_some() {
                    "secret-pending-deletion"
                } else {
                    "secret"
                },
                id: s.name().unwrap_or("?").to_string(),
            })
            .collect())
    }

    /// IAM roles and instance profiles (ListRoles omits tags on AWS: ask per object). IAM is
    /// account-wide: an object tagged for another region belongs to that region's stack of the
    /// same name, not to this one (objects without a region tag count for every region).
    async fn tagged_iam_objects(&self, stack: &str) -> Result<Vec<TaggedObject>, InspectError> {
        let region = self.iam.config().region().map(|r| r.as_ref().to_string());
        let owned = |tags: &[aws_sdk_iam::types::Tag]| {
            let tag = |key: &str| tags.iter().find(|t| t.key() == key).map(|t| t.value());
            tag(STACK_TAG) == Some(stack)
                && tag(REGION_TAG).is_none_or(|tagged| Some(tagged) == region.as_deref())
        };
        let mut found = Vec::new();
        // Paged: a real account (the acceptance run's sweep) has more than one page of each.
        let roles: Vec<aws_sdk_iam::types::Role> = self
            .iam
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(inspect_error("iam", "ListRoles"))?;
        for role in &roles {
            let tags = self
                .iam
                .list_role_tags()
                .role_name(role.role_name())
                .send()
                .await;
            // A role deleted between the listing and this call is simply gone.
            let tags = match tags {
                Err(e) if is_no_such_entity(&e) => continue,
                other => other.map_err(inspect_error("iam", "ListRoleTags"))?,
            };
            if owned(tags.tags()) {
                found.push(TaggedObject {
                    service: "iam",
                    kind: "role",
                    id: role.role_name().to_string(),
                });
            }
        }
        let profiles: Vec<aws_sdk_iam::types::InstanceProfile> = self
            .iam
            .list_instance_profiles()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(inspect_error("iam", "ListInstanceProfiles"))?;
        for profile in &profiles {
            // GetInstanceProfile carries the tags (moto lacks ListInstanceProfileTags).
            let described = self
                .iam
                .get_instance_profile()
                .instance_profile_name(profile.instance_profile_name())
                .send()
                .await;
            let described = match described {
                Err(e) if is_no_such_entity(&e) => continue,
                other => other.map_err(inspect_error("iam", "GetInstanceProfile"))?,
            };
            let tags = described
                .instance_profile()
                .map(|p| p.tags())
                .unwrap_or_default();
            if owned(tags) {
                found.push(TaggedObject {
                    service: "iam",
                    kind: "instance-profile",
                    id: profile.instance_profile_name().to_string(),
                });
            }
        }
        Ok(found)
    }
}

/// IAM's "no such entity": the object went away while the census was looking.
fn is_no_such_entity<E: aws_sdk_iam::error::ProvideErrorMetadata>(
    error: &aws_sdk_iam::error::SdkError<E>,
) -> bool {
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "NoSuchEntity")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::moto::Moto;
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

    async fn tagged_vpc(aws: &AwsInspector, stack: &str) -> String {
        let tags = TagSpecification::builder()
            .resource_type(ResourceType::Vpc)
            .tags(Tag::builder().key(STACK_TAG).value(stack).build())
            .build();
        let out = aws
            .ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .tag_specifications(tags)
            .send()
            .await
            .expect("create vpc");
        out.vpc()
            .and_then(|v| v.vpc_id())
            .expect("vpc id")
            .to_string()
    }

    #[tokio::test]
    async fn tagged_objects_finds_the_stack_and_only_it() {
        let moto = Moto::start_async().await.expect("moto");
        let aws = AwsInspector::for_moto(&moto).await;
        let mine = tagged_vpc(&aws, "blog").await;
        let _other = tagged_vpc(&aws, "shop").await;

        let found = aws.tagged_objects("blog").await.expect("inspect");
        assert_eq!(
            found,
            vec![TaggedObject {
                service: "ec2",
                kind: "vpc",
                id: mine.clone()
            }]
        );

        aws.ec2
            .delete_vpc()
            .vpc_id(&mine)
            .send()
            .await
            .expect("delete vpc");
        let left = aws.tagged_objects("blog").await.expect("inspect");
        AwsInspector::assert_none_left(&left, "blog");
    }

    #[tokio::test]
    async fn tagged_secrets_roles_and_instance_profiles_are_found() {
        let moto = Moto::start_async().await.expect("moto");
        let aws = AwsInspector::for_moto(&moto).await;
        let secret_tag = aws_sdk_secretsmanager::types::Tag::builder()
            .key(STACK_TAG)
            .value("blog")
            .build();
        aws.secretsmanager
            .create_secret()
            .name("blog/wordpress")
            .secret_string("s3cret-value")
            .tags(secret_tag)
            .send()
            .await
            .expect("create secret");
        let iam_tag = || {
            aws_sdk_iam::types::Tag::builder()
                .key(STACK_TAG)
                .value("blog")
                .build()
                .expect("tag")
        };
        aws.iam
            .create_role()
            .role_name("blog-app")
            .assume_role_policy_document("{}")
            .tags(iam_tag())
            .send()
            .await
            .expect("create role");
        aws.iam
            .create_role()
            .role_name("someone-else")
            .assume_role_policy_document("{}")
            .send()
            .await
            .expect("create untagged role");
        aws.iam
            .create_instance_profile()
            .instance_profile_name("blog-app")
            .tags(iam_tag())
            .send()
            .await
            .expect("create instance profile");

        let found = aws.tagged_objects("blog").await.expect("inspect");
        let kinds: Vec<(&str, &str)> = found.iter().map(|o| (o.kind, o.id.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                ("instance-profile", "blog-app"),
                ("role", "blog-app"),
                ("secret", "blog/wordpress"),
            ]
        );
    }
}

/// One CloudWatch Logs group as DescribeLogGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupSeen {
    pub name: String,
    pub arn: String,
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
}
