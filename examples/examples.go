// Package examples embeds the runnable example configs, their demo
// environment and the sample inventory, so that `orderhub demo` works from
// any directory. It holds data only: no code may depend on what a file
// says beyond what package config and the inventory importer read.
package examples

import "embed"

// Files holds orderhub.yaml, postgres.yaml, demo.env and inventory.csv.
//
//go:embed *.yaml *.env *.csv
var Files embed.FS
