//! The site block: what `wp core install` would refuse or silently change, refused at plan
//! instead of in a boot script nobody watches.

use super::{
    path, Errors, SITE_ADMIN_EMAIL_MAX_LEN, SITE_ADMIN_EMAIL_MIN_LEN, SITE_ADMIN_USER_MAX_LEN,
    SITE_TITLE_MAX_LEN,
};
use crate::spec::SiteSpec;

pub(super) fn check_site(errors: &mut Errors, site: &SiteSpec) {
    check_title(errors, &site.title);
    check_admin_user(errors, &site.admin_user);
    if let Some(email) = &site.admin_email {
        check_admin_email(errors, email);
    }
}

fn check_title(errors: &mut Errors, title: &str) {
    let at = path(&["site", "title"]);
    if title.trim().is_empty() {
        errors.push(
            at,
            "title is empty",
            "Set site.title to the name the site shows (\"WordPress\" by default).",
        );
    } else if title.chars().count() > SITE_TITLE_MAX_LEN {
        errors.push(
            at,
            format!("title is longer than {SITE_TITLE_MAX_LEN} characters"),
            format!("Shorten site.title to at most {SITE_TITLE_MAX_LEN} characters."),
        );
    } else if title.chars().any(char::is_control) {
        errors.push(
            at,
            "title holds a line break or another control character",
            "Write site.title on one line, without control characters.",
        );
    }
}

/// The characters WordPress keeps in a login (`sanitize_user` in strict mode): any other is
/// dropped by WordPress at install, leaving a login the user never chose.
fn login_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " _.-@".contains(c)
}

fn check_admin_user(errors: &mut Errors, user: &str) {
    let at = path(&["site", "admin_user"]);
    let length = user.chars().count();
    let fix = format!(
        "Set site.admin_user to 1-{SITE_ADMIN_USER_MAX_LEN} characters of letters, digits, \
spaces and `_ . - @`, as WordPress allows in a login (\"wpadmin\" by default)."
    );
    if length == 0 || length > SITE_ADMIN_USER_MAX_LEN {
        errors.push(
            at,
            format!("admin_user has {length} characters; WordPress accepts 1 to {SITE_ADMIN_USER_MAX_LEN}"),
            fix,
        );
    } else if let Some(bad) = user.chars().find(|c| !login_char(*c)) {
        errors.push(
            at,
            format!("admin_user holds {bad:?}, which WordPress drops from a login"),
            fix,
        );
    } else if user.starts_with(' ') || user.ends_with(' ') || user.contains("  ") {
        errors.push(
            at,
            "admin_user starts or ends with a space, or holds two in a row",
            "WordPress trims a login and collapses its spaces: write site.admin_user as it will be.",
        );
    }
}

/// The characters WordPress's `is_email` accepts before the `@`.
fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c)
}

/// Whether WordPress's `is_email` takes `email`: one `@`, a local part of its characters, a
/// domain of at least two labels of letters, digits and inner hyphens.
pub fn is_wordpress_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && local.chars().all(local_char)
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn check_admin_email(errors: &mut Errors, email: &str) {
    let at = path(&["site", "admin_email"]);
    let length = email.chars().count();
    if !(SITE_ADMIN_EMAIL_MIN_LEN..=SITE_ADMIN_EMAIL_MAX_LEN).contains(&length) {
        errors.push(
            at,
            format!("admin_email has {length} characters; WordPress accepts {SITE_ADMIN_EMAIL_MIN_LEN} to {SITE_ADMIN_EMAIL_MAX_LEN}"),
            "Set site.admin_email to the administrator's address, e.g. admin@example.com.",
        );
    } else if !is_wordpress_email(email) {
        errors.push(
            at,
            format!("admin_email {email:?} is not an e-mail address WordPress accepts"),
            "Set site.admin_email to one address like admin@example.com: one @, a domain of \
at least two labels of letters, digits and hyphens.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_for(site: SiteSpec) -> Vec<String> {
        let mut errors = Errors::default();
        check_site(&mut errors, &site);
        errors.0.iter().map(|e| e.path.to_string()).collect()
    }

    fn with(title: &str, user: &str, email: Option<&str>) -> SiteSpec {
        SiteSpec {
            title: title.into(),
            admin_user: user.into(),
            admin_email: email.map(str::to_string),
        }
    }

    #[test]
    fn the_defaults_and_ordinary_values_pass() {
        assert!(errors_for(SiteSpec::default()).is_empty());
        let ok = with(
            "Café & Co's \"blog\"",
            "jane.doe@corp",
            Some("jane+wp@mail.example.co.uk"),
        );
        assert!(errors_for(ok).is_empty());
        assert!(errors_for(with("x", &"u".repeat(60), Some("a@b.co"))).is_empty());
    }

    #[test]
    fn each_bad_value_is_refused_on_its_attribute() {
        for title in ["", "   ", "two\nlines", &"t".repeat(201)] {
            assert_eq!(
                errors_for(with(title, "wpadmin", None)),
                ["site.title"],
                "{title:?}"
            );
        }
        for user in [
            "",
            " lead",
            "trail ",
            "two  spaces",
            "semi;colon",
            "ünï",
            &"u".repeat(61),
        ] {
            assert_eq!(
                errors_for(with("t", user, None)),
                ["site.admin_user"],
                "{user:?}"
            );
        }
        for email in [
            "",
            "a@b",
            "no-at.example.com",
            "a@@b.com",
            "a@b..com",
            "a@-b.com",
            "a b@c.com",
            "a@b_c.com",
            &format!("{}@example.com", "a".repeat(90)),
        ] {
            assert_eq!(
                errors_for(with("t", "wpadmin", Some(email))),
                ["site.admin_email"],
                "{email:?}"
            );
        }
    }
}
