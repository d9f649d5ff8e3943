use super::*;

fn timeout() -> StackError {
    StackError::WaitTimeout {
        resource: "DB instance blog-db".into(),
        target: "available".into(),
        after: Duration::from_millis(200),
    }
}

#[test]
fn a_timeout_names_the_object_and_the_timeouts_entry_that_ran_out() {
    let diagnostic = bounded_diagnostic(&timeout(), ("update", Duration::from_secs(300)));
    assert!(
        diagnostic.detail.contains("DB instance blog-db"),
        "{diagnostic:?}"
    );
    assert!(
        diagnostic.detail.contains("timeouts.update = 5m"),
        "{diagnostic:?}"
    );
    assert!(!diagnostic.detail.contains("untaint"), "{diagnostic:?}");
}

#[test]
fn an_interrupted_create_says_how_to_resume_instead_of_replacing() {
    let cancelled = StackError::Cancelled {
        during: "waiting for DB instance blog-db to become available".into(),
    };
    for error in [timeout(), cancelled] {
        let diagnostic = bounded_diagnostic(&error, ("create", Duration::from_secs(60)));
        assert!(
            diagnostic.detail.contains("terraform untaint"),
            "{diagnostic:?}"
        );
    }
    let refused = StackError::AlreadyExists {
        name: "blog".into(),
    };
    let diagnostic = bounded_diagnostic(&refused, ("create", Duration::from_secs(60)));
    assert!(!diagnostic.detail.contains("untaint"), "{diagnostic:?}");
    assert!(!diagnostic.detail.contains("timeouts."), "{diagnostic:?}");
}

#[test]
fn only_a_create_that_recorded_nothing_keeps_nothing() {
    let empty = StackState::new(StackSpec::with_name("blog"));
    let mut started = empty.clone();
    started.resources.insert("vpc".into(), "vpc-1".into());
    assert!(failed_before_owning_anything(None, &empty));
    assert!(!failed_before_owning_anything(None, &started));
    assert!(!failed_before_owning_anything(Some(&started), &empty));
}
