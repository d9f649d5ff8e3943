//! Which MySQL versions RDS sells on an instance class in the region
//! (DescribeOrderableDBInstanceOptions), read at plan by the preflight.

use super::ENGINE;
use crate::aws::{Clients, SendFor};
use crate::error::Result;

/// The MySQL engine versions orderable on `instance_class`.
pub async fn orderable_versions(clients: &Clients, instance_class: &str) -> Result<Vec<String>> {
    let options = clients
        .rds
        .describe_orderable_db_instance_options()
        .engine(ENGINE)
        .db_instance_class(instance_class)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(format!("{ENGINE} on {instance_class}"))
        .await?;
    Ok(options
        .iter()
        .filter_map(|o| o.engine_version().map(str::to_string))
        .collect())
}

/// Whether RDS lists any option for the engine in the region at all (any class, any version):
/// when it lists none there is nothing to judge a class against.
pub async fn engine_listed(clients: &Clients) -> Result<bool> {
    let out = clients
        .rds
        .describe_orderable_db_instance_options()
        .engine(ENGINE)
        .max_records(20)
        .send()
        .for_object(ENGINE)
        .await?;
    Ok(!out.orderable_db_instance_options().is_empty())
}
