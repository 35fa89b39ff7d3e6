# Workload 1 with the large count: the same script as spawn-small.exs.
Process.put(:spawn_size, "spawnLarge")
Code.require_file("spawn-small.exs", __DIR__)
