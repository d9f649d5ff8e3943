//! Secrets generated once per stack: the database password (when the user gives none) and
//! WordPress's authentication keys and salts.
//!
//! Both are drawn from the OS-seeded CSPRNG and kept in the stack's state, so every apply and
//! every instance sees the same values: a password that changed per apply would lock WordPress
//! out, keys that differed per instance would log users out on every other request.
//!
//! Alphabets avoid what RDS refuses (`/ " @` and space) and what would need escaping in the
//! user data's shell, PHP or YAML quoting, so no layer has to escape them.

use std::collections::BTreeMap;

use rand::seq::IndexedRandom;

use serde_json::Value;

use crate::spec::{Secret, StackSpec};
use crate::state::StackSecrets;

/// RDS MySQL's master password bounds.
pub const DB_PASSWORD_MIN_LEN: usize = 8;
pub const DB_PASSWORD_MAX_LEN: usize = 41;
/// Characters RDS refuses in a master password (besides non-printable ones).
pub const DB_PASSWORD_FORBIDDEN: [char; 4] = ['/', '"', '@', ' '];
/// Length of generated passwords: ~190 bits over the alphabet below.
pub const GENERATED_DB_PASSWORD_LEN: usize = 32;
/// Length of each generated WordPress key or salt (what wordpress.org's generator gives).
pub const WORDPRESS_KEY_LEN: usize = 64;

/// The eight constants of wp-config.php, in WordPress's order.
pub const WORDPRESS_KEY_NAMES: [&str; 8] = [
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
];

const LETTERS_AND_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Punctuation accepted by RDS and inert everywhere the user data puts a secret: sh and PHP
/// quotes, YAML scalars (no `# ! * & % { [ ,`), systemd and Docker env files (no `%`).
const SAFE_PUNCTUATION: &str = "-_.+=~^";

fn alphabet() -> Vec<char> {
    LETTERS_AND_DIGITS
        .chars()
        .chain(SAFE_PUNCTUATION.chars())
        .collect()
}

fn random_string(length: usize) -> String {
    let chars = alphabet();
    let mut rng = rand::rng();
    (0..length)
        .filter_map(|_| chars.choose(&mut rng).copied())
        .collect()
}

/// Whether `password` has the shape of one [`generate_db_password`] makes: its length, its
/// alphabet, a letter, a digit and a symbol. How an upgrade of a state written before the
/// state stopped keeping generated passwords tells them from configured ones.
pub fn looks_generated(password: &str) -> bool {
    let chars = alphabet();
    password.chars().count() == GENERATED_DB_PASSWORD_LEN
        && password.chars().all(|c| chars.contains(&c))
        && password.chars().any(|c| c.is_ascii_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| c.is_ascii_punctuation())
}

/// Whether RDS accepts `password` as a MySQL master password.
pub fn is_valid_db_password(password: &str) -> bool {
    let length = password.chars().count();
    (DB_PASSWORD_MIN_LEN..=DB_PASSWORD_MAX_LEN).contains(&length)
        && password
            .chars()
            .all(|c| c.is_ascii_graphic() && !DB_PASSWORD_FORBIDDEN.contains(&c))
}

/// A fresh, strong, RDS-valid password with at least one letter, digit and symbol each.
pub fn generate_db_password() -> Secret {
    loop {
        let candidate = random_string(GENERATED_DB_PASSWORD_LEN);
        let has = |class: fn(&char) -> bool| candidate.chars().any(|c| class(&c));
        if has(char::is_ascii_alphabetic)
            && has(char::is_ascii_digit)
            && has(char::is_ascii_punctuation)
        {
            return Secret::new(candidate);
        }
    }
}

/// A fresh set of the eight WordPress keys and salts.
pub fn generate_wordpress_keys() -> BTreeMap<String, Secret> {
    WORDPRESS_KEY_NAMES
        .iter()
        .map(|name| {
            (
                name.to_string(),
                Secret::new(random_string(WORDPRESS_KEY_LEN)),
            )
        })
        .collect()
}

/// The password the database must have: the user's when given, else the one this stack
/// generated before, else a new one.
pub fn effective_db_password(wanted: &StackSpec, previous: Option<&Secret>) -> Secret {
    wanted
        .database
        .password
        .clone()
        .or_else(|| previous.cloned())
        .unwrap_or_else(generate_db_password)
}

/// A fresh password for the site's first administrator (the alphabet of the database's, so
/// no layer between the secret and WP-CLI has to escape it).
pub fn generate_admin_password() -> Secret {
    generate_db_password()
}

/// The administrator's password the secret keeps: the one held already, else the state's
/// mirror of it (a secret written moments ago may still read as the previous version), else
/// a new one, mirrored in the state so every write of this apply keeps the same.
pub fn ensure_admin_password(secrets: &mut StackSecrets, held: Option<&Secret>) -> Secret {
    if let Some(held) = held {
        secrets.admin_password = Some(held.clone());
    }
    secrets
        .admin_password
        .get_or_insert_with(generate_admin_password)
        .clone()
}

/// Keep the stack's keys, adding any that are missing (a state from an older version).
pub fn ensure_wordpress_keys(secrets: &mut StackSecrets) {
    let missing: Vec<&str> = WORDPRESS_KEY_NAMES
        .iter()
        .copied()
        .filter(|name| !secrets.wordpress_keys.contains_key(*name))
        .collect();
    for name in missing {
        secrets.wordpress_keys.insert(
            name.to_string(),
            Secret::new(random_string(WORDPRESS_KEY_LEN)),
        );
    }
}

/// The field of the secret's JSON holding the database password; the keys and salts are under
/// their wp-config names (`AUTH_KEY` …). The secrets tier writes this layout, the boot script
/// (`userdata`) reads it.
pub const SECRET_PASSWORD_FIELD: &str = "db_password";
/// The field holding the database's `host:port`. The secret exists before the database does,
/// so the instances can boot while RDS is still being created: until the database step has
/// written this field (and the password), the container runs without a database, and the
/// instances' watcher restarts it with both as soon as the new version appears.
pub const SECRET_HOST_FIELD: &str = "db_host";
/// The field holding the password of the site's first administrator: generated with the
/// secret, read only by the boot script's one-time install (never written to user data,
/// state or logs). WordPress keeps its own hash afterwards: a password changed in WordPress
/// is not written back here.
pub const SECRET_ADMIN_PASSWORD_FIELD: &str = "wp_admin_password";

/// What the stack's secret holds (see `userdata` for how the instances read it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretContents {
    /// The database password; `None` until the database step has settled it.
    pub password: Option<Secret>,
    /// The database's `host:port`; `None` until the database is available.
    pub db_host: Option<String>,
    /// The site's first administrator's password; `None` in a secret written before the
    /// provider installed WordPress (the secrets tier adds it, keeping every other field).
    pub admin_password: Option<Secret>,
    /// Only the eight WordPress keys; other fields are ignored.
    pub keys: BTreeMap<String, Secret>,
}

/// The JSON the stack's secret holds: the password under [`SECRET_PASSWORD_FIELD`] and the
/// host under [`SECRET_HOST_FIELD`] once known, and each key under its wp-config name.
pub fn secret_document(contents: &SecretContents) -> Secret {
    let mut fields = serde_json::Map::new();
    if let Some(password) = &contents.password {
        fields.insert(SECRET_PASSWORD_FIELD.into(), password.expose().into());
    }
    if let Some(host) = &contents.db_host {
        fields.insert(SECRET_HOST_FIELD.into(), host.as_str().into());
    }
    if let Some(password) = &contents.admin_password {
        fields.insert(SECRET_ADMIN_PASSWORD_FIELD.into(), password.expose().into());
    }
    for (name, value) in &contents.keys {
        fields.insert(name.clone(), value.expose().into());
    }
    Secret::new(Value::Object(fields).to_string())
}

/// What a secret's value holds; `None` when it is not a JSON object of strings.
pub fn parse_secret_document(value: &Secret) -> Option<SecretContents> {
    let fields: BTreeMap<String, String> = serde_json::from_str(value.expose()).ok()?;
    Some(SecretContents {
        password: fields.get(SECRET_PASSWORD_FIELD).cloned().map(Secret::new),
        db_host: fields.get(SECRET_HOST_FIELD).cloned(),
        admin_password: fields
            .get(SECRET_ADMIN_PASSWORD_FIELD)
            .cloned()
            .map(Secret::new),
        keys: fields
            .into_iter()
            .filter(|(name, _)| WORDPRESS_KEY_NAMES.contains(&name.as_str()))
            .map(|(name, value)| (name, Secret::new(value)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys() -> BTreeMap<String, Secret> {
        WORDPRESS_KEY_NAMES
            .iter()
            .map(|name| (name.to_string(), Secret::new(format!("{name}-value"))))
            .collect()
    }

    #[test]
    fn the_document_round_trips_and_names_the_password_field() {
        let password = Secret::new("p'a\"s$s\\w\u{2028}rd");
        let contents = SecretContents {
            password: Some(password.clone()),
            db_host: Some("blog-db.example.rds.amazonaws.com:3306".into()),
            admin_password: Some(Secret::new("admin-pass")),
            keys: keys(),
        };
        let document = secret_document(&contents);
        let raw: BTreeMap<String, String> =
            serde_json::from_str(document.expose()).expect("json object of strings");
        assert_eq!(raw.len(), 11);
        assert_eq!(raw[SECRET_ADMIN_PASSWORD_FIELD], "admin-pass");
        assert_eq!(raw[SECRET_PASSWORD_FIELD], password.expose());
        assert_eq!(
            raw[SECRET_HOST_FIELD],
            "blog-db.example.rds.amazonaws.com:3306"
        );
        assert_eq!(raw["NONCE_SALT"], "NONCE_SALT-value");
        assert_eq!(parse_secret_document(&document), Some(contents));
    }

    #[test]
    fn a_secret_made_before_the_database_holds_only_the_keys() {
        let contents = SecretContents {
            keys: keys(),
            ..SecretContents::default()
        };
        let raw: BTreeMap<String, String> =
            serde_json::from_str(secret_document(&contents).expose()).expect("json");
        assert_eq!(raw.len(), 8);
        assert!(!raw.contains_key(SECRET_PASSWORD_FIELD));
        assert!(!raw.contains_key(SECRET_HOST_FIELD));
        assert_eq!(
            parse_secret_document(&secret_document(&contents)),
            Some(contents)
        );
    }

    #[test]
    fn foreign_fields_are_ignored_and_garbage_is_refused() {
        let value = Secret::new(r#"{"db_password":"x","AUTH_KEY":"k","other":"o"}"#);
        let parsed = parse_secret_document(&value).expect("parses");
        assert_eq!(parsed.keys.keys().collect::<Vec<_>>(), ["AUTH_KEY"]);
        assert_eq!(parse_secret_document(&Secret::new("not json")), None);
        assert_eq!(parse_secret_document(&Secret::new(r#"{"a":1}"#)), None);
    }

    #[test]
    fn generated_passwords_look_generated_and_typed_ones_do_not() {
        for _ in 0..50 {
            assert!(looks_generated(generate_db_password().expose()));
        }
        assert!(!looks_generated("Corr3ct-Horse"));
        assert!(!looks_generated("x!Y2x!Y2x!Y2x!Y2x!Y2x!Y2x!Y2x!Y2"));
    }

    #[test]
    fn generated_passwords_are_rds_valid_and_differ() {
        let passwords: BTreeSet<String> = (0..200)
            .map(|_| generate_db_password().expose().to_string())
            .collect();
        assert_eq!(passwords.len(), 200, "passwords repeat");
        for password in &passwords {
            assert!(is_valid_db_password(password), "{password}");
            assert_eq!(password.len(), GENERATED_DB_PASSWORD_LEN);
            assert!(
                !password.contains(['\'', '\\', '$', '`']),
                "needs shell quoting: {password}"
            );
        }
    }

    #[test]
    fn rds_rules_refuse_what_rds_refuses() {
        assert!(is_valid_db_password("abcdEFGH12"));
        assert!(!is_valid_db_password("short7!"));
        assert!(!is_valid_db_password(&"a".repeat(42)));
        for bad in [
            "pass/word123",
            "pass\"word123",
            "pass@word123",
            "pass word123",
            "pässword123",
        ] {
            assert!(!is_valid_db_password(bad), "{bad}");
        }
    }

    #[test]
    fn user_password_wins_then_the_stack_keeps_its_own() {
        let mut spec = StackSpec::with_name("blog");
        let previous = Secret::new("previously-generated-1");
        assert_eq!(effective_db_password(&spec, Some(&previous)), previous);
        let fresh = effective_db_password(&spec, None);
        assert!(is_valid_db_password(fresh.expose()));
        assert_ne!(fresh, previous);
        spec.database.password = Some(Secret::new("users-own-password-9"));
        assert_eq!(
            effective_db_password(&spec, Some(&previous)).expose(),
            "users-own-password-9"
        );
    }

    #[test]
    fn wordpress_keys_are_complete_distinct_and_kept() {
        let keys = generate_wordpress_keys();
        assert_eq!(keys.len(), 8);
        let values: BTreeSet<&str> = keys.values().map(Secret::expose).collect();
        assert_eq!(values.len(), 8, "keys must differ from each other");
        assert!(values.iter().all(|v| v.len() == WORDPRESS_KEY_LEN));

        let mut secrets = StackSecrets {
            wordpress_keys: keys.clone(),
            ..StackSecrets::default()
        };
        ensure_wordpress_keys(&mut secrets);
        assert_eq!(
            secrets.wordpress_keys, keys,
            "existing keys must never be regenerated"
        );

        secrets.wordpress_keys.remove("NONCE_SALT");
        ensure_wordpress_keys(&mut secrets);
        assert_eq!(secrets.wordpress_keys.len(), 8);
        assert_eq!(secrets.wordpress_keys["AUTH_KEY"], keys["AUTH_KEY"]);
    }

    #[test]
    fn the_admin_password_is_generated_once_and_a_held_one_wins() {
        let mut secrets = StackSecrets::default();
        let first = ensure_admin_password(&mut secrets, None);
        assert!(looks_generated(first.expose()));
        assert_eq!(ensure_admin_password(&mut secrets, None), first, "kept");
        let held = Secret::new("held-in-the-secret-1");
        assert_eq!(ensure_admin_password(&mut secrets, Some(&held)), held);
        assert_eq!(secrets.admin_password, Some(held));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let password = generate_db_password();
        assert!(!format!("{password:?}").contains(password.expose()));
    }
}
