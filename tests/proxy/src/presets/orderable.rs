//! DescribeOrderableDBInstanceOptions for MySQL, which moto answers only for Aurora PostgreSQL
//! and Neptune (an empty list for MySQL). With this preset every configured instance class is
//! orderable with every configured MySQL version, as AWS lists them: filtered by the request's
//! `DBInstanceClass` and `EngineVersion`, in one page.

use crate::config::OrderableDbConfig;
use crate::identify::AwsRequest;

use super::reply::{element, Reply};

const RDS_XMLNS: &str = "http://rds.amazonaws.com/doc/2014-10-31/";

/// The answer to a DescribeOrderableDBInstanceOptions for `mysql`; `None` for anything else.
pub fn answer(request: &AwsRequest, config: &OrderableDbConfig) -> Option<Reply> {
    let call = (
        request.call.service.as_str(),
        request.call.operation.as_str(),
    );
    if call != ("rds", "DescribeOrderableDBInstanceOptions")
        || request.param("Engine") != Some("mysql")
    {
        return None;
    }
    let class = request.param("DBInstanceClass");
    let version = request.param("EngineVersion");
    let mut options = String::new();
    for listed_class in &config.instance_classes {
        if class.is_some_and(|c| c != listed_class) {
            continue;
        }
        for listed_version in &config.engine_versions {
            if version.is_some_and(|v| v != listed_version) {
                continue;
            }
            options.push_str(&format!(
                "<OrderableDBInstanceOption>{}{}{}{}{}</OrderableDBInstanceOption>",
                element("Engine", "mysql"),
                element("EngineVersion", listed_version),
                element("DBInstanceClass", listed_class),
                element("LicenseModel", "general-public-license"),
                element("MultiAZCapable", "true"),
            ));
        }
    }
    Some(Reply::query(
        "DescribeOrderableDBInstanceOptions",
        RDS_XMLNS,
        &format!("<OrderableDBInstanceOptions>{options}</OrderableDBInstanceOptions>"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identify::CallId;

    fn request(params: &[(&str, &str)]) -> AwsRequest {
        AwsRequest {
            call: CallId {
                service: "rds".into(),
                operation: "DescribeOrderableDBInstanceOptions".into(),
            },
            protocol: crate::identify::Protocol::AwsQuery,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn lists_the_configured_classes_and_versions_as_filtered() {
        let config = OrderableDbConfig {
            instance_classes: vec!["db.t3.micro".into(), "db.t4g.micro".into()],
            engine_versions: vec!["8.0.42".into(), "8.4.5".into()],
        };
        let reply = answer(
            &request(&[("Engine", "mysql"), ("DBInstanceClass", "db.t3.micro")]),
            &config,
        )
        .unwrap();
        assert_eq!(reply.body.matches("<OrderableDBInstanceOption>").count(), 2);
        assert!(reply.body.contains("<EngineVersion>8.4.5</EngineVersion>"));
        let none = answer(
            &request(&[("Engine", "mysql"), ("DBInstanceClass", "db.x9.huge")]),
            &config,
        )
        .unwrap();
        assert!(!none.body.contains("<OrderableDBInstanceOption>"));
        assert!(answer(&request(&[("Engine", "postgres")]), &config).is_none());
    }
}
