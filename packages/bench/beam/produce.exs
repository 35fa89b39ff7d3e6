# Shared by workloads 9 and 10 (producer.exs, producers.exs): `producers` processes each
# send `batch` small messages to one consumer that only counts them, then a message to
# themselves to go on (long work in slices), until they have sent `total` in all. Returns
# msgs/s and the consumer's peak mailbox, which each producer samples with
# `Process.info(consumer, :message_queue_len)` after a batch, about every 1,024 messages.
defmodule Produce do
  def measure(producers, batch, total) do
    parent = self()
    quota = div(total + producers - 1, producers)
    expected = quota * producers
    every = max(1, round(1024 / batch))
    consumer = spawn(fn -> consume(0, expected, parent) end)

    pids =
      for _ <- 1..producers do
        spawn(fn -> produce(consumer, batch, quota, every, parent, 0, 0, 0) end)
      end

    t0 = Bench.now_us()
    Enum.each(pids, &send(&1, :go))

    receive do
      :consumed -> :ok
    end

    rate = Bench.per_second(expected, t0)

    peak =
      Enum.reduce(pids, 0, fn _, peak ->
        receive do
          {:peak, p} -> max(peak, p)
        end
      end)

    [rate, peak]
  end

  defp consume(count, expected, parent) do
    receive do
      {:n, _} ->
        count = count + 1
        if count == expected, do: send(parent, :consumed), else: consume(count, expected, parent)
    end
  end

  defp produce(consumer, batch, quota, every, parent, sent, batches, peak) do
    receive do
      :go ->
        stop = min(sent + batch, quota)
        send_range(consumer, sent, stop)
        batches = batches + 1
        peak = if rem(batches, every) == 0, do: max(peak, queue_length(consumer)), else: peak

        if stop < quota do
          send(self(), :go)
          produce(consumer, batch, quota, every, parent, stop, batches, peak)
        else
          send(parent, {:peak, peak})
        end
    end
  end

  defp queue_length(pid) do
    case Process.info(pid, :message_queue_len) do
      {:message_queue_len, length} -> length
      nil -> 0
    end
  end

  defp send_range(_consumer, n, stop) when n >= stop, do: :ok

  defp send_range(consumer, n, stop) do
    send(consumer, {:n, n})
    send_range(consumer, n + 1, stop)
  end
end
