//! Builds the meetkit component (`plugin/`) for `wasm32-wasip2` with the size-tuned
//! `component` profile, so that every `cargo build`, `cargo run` and `cargo test` of the
//! host embeds a component that matches the sources. The nested build uses a target
//! folder of its own so that it never waits on the outer build's lock.
//!
//! The linked component is then finished for shipping: its core module goes through
//! binaryen's `wasm-opt -Oz` when that tool is installed (`scripts/install-tools.sh`
//! installs it), and the component's own name section is dropped. Without `wasm-opt`
//! the component works the same and is only larger; the build says so in a warning.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    for watched in ["plugin/src", "plugin/build.rs", "plugin/Cargo.toml", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=MEETKIT_COMPONENT");

    // A prebuilt component may be supplied instead (packaging, cross builds).
    if let Ok(prebuilt) = env::var("MEETKIT_COMPONENT") {
        println!("cargo:rustc-env=MEETKIT_COMPONENT_PATH={prebuilt}");
        println!("cargo:rustc-env=MEETKIT_COMPONENT_OPTIMISER=its own build (supplied prebuilt)");
        return;
    }

    let target_dir = env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
        .join("component");
    ensure_target_installed();

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--package", "meetkit-plugin", "--lib", "--target", TARGET, "--profile", "component"])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings are for the host, not for the component.
    for (key, _) in env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_MAKEFLAGS"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
        {
            cmd.env_remove(key);
        }
    }
    let status = cmd.status().expect("cargo could not be started to build the component");
    assert!(status.success(), "building the meetkit component for {TARGET} failed");

    let linked = target_dir.join(TARGET).join("component").join("meetkit_plugin.wasm");
    assert!(linked.exists(), "the component was not produced at {}", linked.display());
    let finished = target_dir.join("meetkit.wasm");
    let optimiser = finish(&linked, &finished);
    println!("cargo:rustc-env=MEETKIT_COMPONENT_PATH={}", finished.display());
    println!("cargo:rustc-env=MEETKIT_COMPONENT_OPTIMISER={optimiser}");
}

/// Writes the shipped component: the linked one with its core module optimised for size
/// (when `wasm-opt` is available) and without the component-level name section, which
/// only debuggers read. Answers what optimised the core module.
fn finish(linked: &Path, finished: &Path) -> String {
    println!("cargo:rerun-if-env-changed=WASM_OPT");
    let bytes = std::fs::read(linked).expect("the linked component is readable");
    let wasm_opt = env::var("WASM_OPT").unwrap_or_else(|_| "wasm-opt".into());
    // Built again when the tool is upgraded or removed. (Its installation is marked by
    // `scripts/install-tools.sh`, which touches this file: watching a path that does not
    // exist yet would make Cargo rebuild the host at every build.)
    if let Some(found) = env::split_paths(&env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(&wasm_opt))
        .find(|c| c.is_file())
    {
        println!("cargo:rerun-if-changed={}", found.display());
    }
    let version = Command::new(&wasm_opt).arg("--version").output().ok().filter(|o| o.status.success());
    let optimiser = match &version {
        Some(out) => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        None => {
            println!(
                "cargo:warning=wasm-opt (binaryen) was not found: the component is built without its \
                 size optimisation. scripts/install-tools.sh installs it."
            );
            "none".to_string()
        }
    };

    let mut component = wasm_encoder::Component::new();
    let mut parser = wasmparser::Parser::new(0);
    let mut rest = &bytes[..];
    let mut first_module = true;
    loop {
        let (consumed, payload) = match parser.parse(rest, true).expect("the linked component parses") {
            wasmparser::Chunk::Parsed { consumed, payload } => (consumed, payload),
            wasmparser::Chunk::NeedMoreData(_) => unreachable!("the whole component is in memory"),
        };
        rest = &rest[consumed..];
        match payload {
            wasmparser::Payload::Version { .. } => continue,
            wasmparser::Payload::End(_) => break,
            wasmparser::Payload::CustomSection(c) if c.name() == "component-name" => {}
            wasmparser::Payload::ModuleSection { unchecked_range, .. } => {
                // The parser goes on after the nested module: it is copied, not parsed.
                rest = &bytes[unchecked_range.end..];
                let module = &bytes[unchecked_range];
                // The first module is meetkit's; the others are wit-component's small
                // adapters between it and the imports, left as they are.
                let module = match version {
                    Some(_) if first_module => optimise(&wasm_opt, module, finished),
                    _ => module.to_vec(),
                };
                first_module = false;
                component.section(&wasm_encoder::RawSection { id: 1, data: &module });
            }
            wasmparser::Payload::ComponentSection { unchecked_range, .. } => {
                rest = &bytes[unchecked_range.end..];
                component.section(&wasm_encoder::RawSection { id: 4, data: &bytes[unchecked_range] });
            }
            other => {
                let (id, range) = other.as_section().expect("a top-level payload is a section");
                component.section(&wasm_encoder::RawSection { id, data: &bytes[range] });
            }
        }
    }
    std::fs::write(finished, component.finish()).expect("the finished component is writable");
    optimiser
}

/// Runs `wasm-opt -Oz` over one core module, with the wasm features rustc targets.
fn optimise(wasm_opt: &str, module: &[u8], beside: &Path) -> Vec<u8> {
    let input = beside.with_extension("core.wasm");
    let output = beside.with_extension("core.opt.wasm");
    std::fs::write(&input, module).expect("the core module is writable");
    let status = Command::new(wasm_opt)
        .args(["-Oz", "--converge"])
        // Lets constant offsets fold into loads and stores (-2 KiB). The two differ only
        // for an address that wraps past 4 GiB into the first kilobyte: a trap then,
        // instead of a write at the bottom of the stack.
        .arg("--low-memory-unused")
        .args(RUSTC_WASM_FEATURES.iter().map(|f| format!("--enable-{f}")))
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .status()
        .expect("wasm-opt starts");
    assert!(status.success(), "wasm-opt failed on the component's core module");
    std::fs::read(&output).expect("wasm-opt wrote its output")
}

/// The wasm proposals rustc enables by default for wasm32 targets: binaryen must not
/// use any other.
const RUSTC_WASM_FEATURES: &[&str] = &[
    "bulk-memory",
    "mutable-globals",
    "sign-ext",
    "nontrapping-float-to-int",
    "multivalue",
    "reference-types",
];

/// Installs the wasm target through rustup when the toolchain lacks it (the toolchain
/// file names it, but older rustup versions do not install targets on their own).
fn ensure_target_installed() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(&rustc).args(["--print", "sysroot"]).output() else {
        return;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if Path::new(&sysroot).join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "the {TARGET} target is missing and `rustup target add {TARGET}` failed"
    );
}
