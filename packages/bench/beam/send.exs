# Workload 2: one sender, one receiver; the receiver acks every half window, so the
# mailbox stays small (as the Node systems do): msgs/s.
Code.require_file("bench.exs", __DIR__)

defmodule Send do
  def run(%{"sends" => count, "sendWindow" => window}) do
    parent = self()
    half = div(window, 2)

    receiver =
      spawn(fn ->
        receive do
          {:sender, sender} -> receive_loop(sender, 0, count, half, parent)
        end
      end)

    sender = spawn(fn -> send_loop(receiver, 0, count, window, half) end)
    send(receiver, {:sender, sender})
    t0 = Bench.now_us()
    send(sender, :more)

    receive do
      :done -> [Bench.per_second(count, t0)]
    end
  end

  defp receive_loop(sender, received, count, half, parent) do
    receive do
      _n ->
        received = received + 1
        if rem(received, half) == 0, do: send(sender, :more)

        if received == count,
          do: send(parent, :done),
          else: receive_loop(sender, received, count, half, parent)
    end
  end

  defp send_loop(receiver, sent, count, window, half) do
    receive do
      :more ->
        stop = min(sent + if(sent == 0, do: window, else: half), count)
        sent = send_range(receiver, sent, stop)
        if sent < count, do: send_loop(receiver, sent, count, window, half)
    end
  end

  defp send_range(_receiver, n, stop) when n >= stop, do: n

  defp send_range(receiver, n, stop) do
    send(receiver, n)
    send_range(receiver, n + 1, stop)
  end
end

Bench.main(&Send.run/1)
