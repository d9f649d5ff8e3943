//! The site's install values: only an install reads them, and running instances have
//! installed (or found installed) the site already, so a change is a launch template version
//! for instances launched later, never an instance refresh. WordPress owns the title and its
//! users once installed: the line says so, so that no reviewer expects the site to change.

use super::changes::TemplateReasons;
use crate::spec::StackSpec;

pub(super) fn plan_site(before: &StackSpec, after: &StackSpec, template: &mut TemplateReasons) {
    let (b, a) = (&before.site, &after.site);
    let mut changed = Vec::new();
    if b.title != a.title {
        changed.push("title");
    }
    if b.admin_user != a.admin_user {
        changed.push("admin user");
    }
    if b.admin_email != a.admin_email {
        changed.push("admin e-mail");
    }
    if !changed.is_empty() {
        template.for_new_instances.push(format!(
            "site {} for a new install only: an installed site keeps its own",
            changed.join(", ")
        ));
    }
}
