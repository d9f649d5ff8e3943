//! The web ACL block: the rate rule's limit within WAFv2's bounds.

use super::{path, Errors, WAF_RATE_LIMIT_MAX, WAF_RATE_LIMIT_MIN};
use crate::spec::WafSpec;

pub(super) fn check_waf(errors: &mut Errors, waf: &WafSpec) {
    let limit = waf.rate_limit;
    if !(WAF_RATE_LIMIT_MIN..=WAF_RATE_LIMIT_MAX).contains(&limit) {
        errors.push(
            path(&["waf", "rate_limit"]),
            format!("rate_limit is {limit}; WAF accepts {WAF_RATE_LIMIT_MIN} to {WAF_RATE_LIMIT_MAX} requests per 5 minutes"),
            format!("Set rate_limit between {WAF_RATE_LIMIT_MIN} and {WAF_RATE_LIMIT_MAX} requests per 5 minutes per IP address (2000 by default)."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_for(rate_limit: i64) -> Vec<String> {
        let mut errors = Errors::default();
        check_waf(
            &mut errors,
            &WafSpec {
                enabled: true,
                rate_limit,
            },
        );
        errors.0.iter().map(|e| e.path.to_string()).collect()
    }

    #[test]
    fn the_rate_limit_keeps_to_wafs_bounds() {
        for ok in [10, 2000, 2_000_000_000] {
            assert!(errors_for(ok).is_empty(), "{ok}");
        }
        for bad in [0, 9, 2_000_000_001, -5] {
            assert_eq!(errors_for(bad), vec!["waf.rate_limit".to_string()], "{bad}");
        }
    }
}
