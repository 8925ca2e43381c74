//! `sampark-node`: the phone's node, as a command. The command line lives in
//! [`sampark_node::cli`] (so `sampark-relay phone ...` runs the same one); every command is
//! described in `docs/node.md`.

use std::process::ExitCode;

fn main() -> ExitCode {
    sampark_node::cli::main_with(std::env::args_os())
}
