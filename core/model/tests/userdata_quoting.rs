//! Properties of the quoting that carries user values into the boot script: for any string,
//! bash reads back exactly that string, and cloud-init's YAML reader gives back exactly the
//! rendered script.

mod userdata_support;

use proptest::prelude::*;
use stack_model::userdata::{boot_script, render, shell_quote};
use userdata_support::{extract_script, require_tool, run_with_stdin, Fixture};

/// Any text bash can hold (it has no NUL), weighted towards the characters that break quoting.
fn nasty_text() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        "'", "\"", "\\", "$", "`", "$(", "${", "!", "#", "\n", "\r", "\t", " ", "*", "?", "[", "~",
        "-", "\u{85}", "\u{2028}", "\u{feff}", "é", "😀", "\u{7f}", "\u{1b}", ":", "|", ">", "%",
        "&",
    ]);
    let piece = prop_oneof![
        3 => tricky.prop_map(str::to_string),
        1 => any::<char>().prop_filter("bash strings cannot hold NUL", |c| *c != '\0').prop_map(String::from),
        1 => "[a-zA-Z0-9]{1,5}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn bash_reads_back_exactly_the_quoted_value(values in prop::collection::vec(nasty_text(), 1..6)) {
        require_tool("bash");
        let words: Vec<String> = values.iter().map(|v| shell_quote(v)).collect();
        let script = format!("printf '%s\\0' {}\n", words.join(" "));
        let output = run_with_stdin("bash", &["-s"], &script);
        prop_assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let printed: Vec<&[u8]> = output.stdout.split(|b| *b == 0).collect();
        prop_assert_eq!(printed.len(), values.len() + 1);
        for (value, got) in values.iter().zip(printed) {
            prop_assert_eq!(got, value.as_bytes());
        }
    }
}

proptest! {
    // Each case starts PyYAML: fewer cases, same breadth of characters.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn cloud_init_reads_back_the_exact_script_whatever_the_values(
        secret_id in nasty_text(),
        extra in nasty_text(),
        image in nasty_text(),
    ) {
        let mut fixture = Fixture::ordinary();
        fixture.secret_id = secret_id;
        fixture.config_extra = Some(extra);
        fixture.image = image;
        let document = render(&fixture.input());
        prop_assert!(document.is_ascii());
        prop_assert_eq!(extract_script(&document), boot_script(&fixture.input()));
    }
}
