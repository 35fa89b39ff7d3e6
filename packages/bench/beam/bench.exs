# Shared by the workload scripts: arguments, runs, clocks, memory, percentiles.
# Each script is run as `elixir [--erl "+S 1"] <workload>.exs runs=3 warm_up=1 key=value…`
# and prints one `RESULT v1,v2,…` line per measured run (see ../src/beam.ts).
defmodule Bench do
  def args do
    Map.new(System.argv(), fn arg ->
      [key, value] = String.split(arg, "=", parts: 2)
      {key, parse(value)}
    end)
  end

  defp parse(value) do
    case Integer.parse(value) do
      {int, ""} ->
        int

      _ ->
        case Float.parse(value) do
          {float, ""} -> float
          _ -> value
        end
    end
  end

  @doc "Runs `fun.(args)` `warm_up` times uncounted, then `runs` times, printing each result."
  def main(fun) do
    # A crash report per restart would measure the logger, not the runtime.
    :logger.set_primary_config(:level, :none)
    args = args()
    for _ <- 1..args["warm_up"]//1, do: fun.(args)

    for _ <- 1..args["runs"] do
      :erlang.garbage_collect()
      values = fun.(args)
      IO.puts("RESULT " <> Enum.map_join(values, ",", &to_string(&1 * 1.0)))
    end
  end

  def now_us, do: :erlang.monotonic_time(:microsecond)
  def per_second(count, t0_us), do: count / ((now_us() - t0_us) / 1_000_000)

  @doc "The VM's total memory after collecting every process's garbage."
  def memory do
    for pid <- Process.list(), do: :erlang.garbage_collect(pid)
    :erlang.memory(:total)
  end

  def wait_until(condition) do
    unless condition.() do
      Process.sleep(1)
      wait_until(condition)
    end
  end

  def percentile([], _p), do: :nan
  def percentile(sorted, p), do: Enum.at(sorted, min(length(sorted) - 1, floor(length(sorted) * p)))

  def kill_all(pids), do: Enum.each(pids, &Process.exit(&1, :kill))
end
