//! Leptos.toml (read by the server at run time) and Cargo.toml (read by cargo-leptos at build
//! time) must agree on where the built site is; this keeps the two in step.

fn leptos_section(path: &str) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc["package"]["metadata"]["leptos"]
        .as_table()
        .unwrap()
        .clone()
}

#[test]
fn runtime_and_build_settings_agree() {
    let root = env!("CARGO_MANIFEST_DIR");
    let runtime = leptos_section(&format!("{root}/Leptos.toml"));
    let build = leptos_section(&format!("{root}/Cargo.toml"));
    for key in ["output-name", "site-root", "site-pkg-dir", "hash-files"] {
        assert_eq!(runtime.get(key), build.get(key), "{key} differs");
        assert!(runtime.get(key).is_some(), "{key} missing");
    }
}
