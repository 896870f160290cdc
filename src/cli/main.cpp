// capstan: runs Naftiko capabilities. The CLI is the only code that prints or exits.
#include <iostream>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"capstan: serve Naftiko capabilities over REST and MCP"};
  app.set_version_flag("--version", "capstan 0.1.0");
  app.require_subcommand(0);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
