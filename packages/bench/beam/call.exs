# Workload 5: sequential GenServer.call from another process: calls/s.
Code.require_file("bench.exs", __DIR__)
Code.require_file("counter.exs", __DIR__)

defmodule Calls do
  def run(%{"calls" => count}) do
    {:ok, server} = GenServer.start(Counter, 0)
    t0 = Bench.now_us()
    loop(server, count)
    rate = Bench.per_second(count, t0)
    GenServer.stop(server)
    [rate]
  end

  defp loop(_server, 0), do: :ok

  defp loop(server, n) do
    GenServer.call(server, :get)
    loop(server, n - 1)
  end
end

Bench.main(&Calls.run/1)
