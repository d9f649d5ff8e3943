//! The `alarms` block: CloudWatch alarms on what the stack runs and the topic they notify.

use super::*;
use stack_model::alarms::defaults as a;

pub(super) fn alarms() -> BlockDef {
    BlockDef {
        name: "alarms",
        nesting: Nesting::Group,
        description: "CloudWatch metric alarms `<name>-alarm-<key>`, each notifying on ALARM and \
on OK: `alb-target-5xx` and `alb-elb-5xx` (more than `http_5xx_threshold` 5xx answers in 5 \
minutes from WordPress, and from the load balancer itself: a count rather than a share of the \
requests, which on a quiet site alarms on one failed request out of two), `unhealthy-targets` \
(a target failing its health checks for 5 minutes), `db-cpu` (average above `db_cpu_percent` \
for 15 minutes), `db-free-storage` (below `db_free_storage_gib`), `db-connections` (above \
`db_connections` for 10 minutes), the file system's `efs-burst-credits` (below 100 GiB of \
credits, `bursting` throughput mode) or `efs-io-limit` (`PercentIOLimit` at \
`efs_io_limit_percent` for 15 minutes, other modes; Max I/O file systems report no such \
metric and get no file system alarm), and `asg-at-max` (the group's in-service instances at \
`autoscaling.max_size` for 15 minutes; the stack turns on the group's metrics collection, \
which is free and stays on). They notify the stack's own SNS topic `<name>-alarms` (deleted \
with its subscriptions on destroy or when `topic_arn` is set), or the topic `topic_arn` names, \
which the stack never creates, changes or deletes. Cost: $0.10 per alarm per month (8 alarms: \
$0.80); the topic and e-mail notifications stay within SNS's free tier. A refresh notices an \
alarm deleted or changed, the topic or a subscription deleted, or the metrics collection \
turned off outside Terraform, and the next apply puts them back.",
        attributes: vec![
            defaulted(
                "enabled",
                Bool,
                Default::Bool(a::ENABLED),
                "Whether the stack has alarms. On for new stacks; a stack created before this \
attribute existed keeps running without them until the configuration sets `enabled = true`. \
Setting it to `false` deletes the alarms and the stack's own topic.",
            )
            .legacy(Default::Bool(false))
            .default_on_create(),
            attr(
                "topic_arn",
                Str,
                Optional,
                "The ARN of a standard SNS topic you own for the alarms to notify instead of the \
stack's own topic (`arn:<partition>:sns:<region>:<account id>:<name>`; FIFO topics are \
refused, as CloudWatch cannot notify them). The stack then creates no topic and leaves this one \
and its subscriptions as they are, on destroy too. Its access policy must let CloudWatch \
publish (a topic's default policy does, within the account).",
            ),
            defaulted(
                "email_addresses",
                StringList,
                Default::EmptyList,
                "E-mail addresses subscribed to the stack's own topic (not allowed with \
`topic_arn`; at most 10). AWS mails each a confirmation link and sends no alarm to it until \
the link is followed: until then the subscription reads \"pending confirmation\" (`resources` \
shows `PendingConfirmation`), and a pending subscription removed from the list cannot be \
unsubscribed: AWS drops it after three days.",
            ),
            defaulted(
                "http_5xx_threshold",
                Number,
                Default::Int(a::HTTP_5XX_THRESHOLD),
                "5xx answers in 5 minutes above which `alb-target-5xx` (from WordPress) and \
`alb-elb-5xx` (from the load balancer itself) fire; 1 to 1000000.",
            ),
            defaulted(
                "db_cpu_percent",
                Number,
                Default::Int(a::DB_CPU_PERCENT),
                "Average database CPU, percent, above which `db-cpu` fires after 15 minutes; 1 \
to 100.",
            ),
            defaulted(
                "db_free_storage_gib",
                Number,
                Default::Int(a::DB_FREE_STORAGE_GIB),
                "Free database storage, GiB, below which `db-free-storage` fires; 1 to 65536.",
            ),
            defaulted(
                "db_connections",
                Number,
                Default::Int(a::DB_CONNECTIONS),
                "Open database connections above which `db-connections` fires after 10 minutes; \
1 to 100000. MySQL's `max_connections` scales with the instance's memory (about 85 on a \
`db.t3.micro`): raise this with the instance class.",
            ),
            defaulted(
                "efs_io_limit_percent",
                Number,
                Default::Int(a::EFS_IO_LIMIT_PERCENT),
                "Share of a General Purpose file system's I/O limit, percent, at which \
`efs-io-limit` fires after 15 minutes (not used in `bursting` mode); 1 to 100.",
            ),
        ],
    }
}
