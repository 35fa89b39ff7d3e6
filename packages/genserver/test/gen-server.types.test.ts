import { Runtime, VirtualClock } from '@actorkit/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Call,
  type From,
  GenServer,
  noreply,
  ok,
  type ReplyFor,
  type ReplyOf,
  reply,
  type ServerRef,
} from '../src/index.js';

// These tests are checked by `tsc` (the root typecheck); at run time they only run the
// positive cases, so that the typed calls are also real calls.

type Profile = { name: string; email: string };

type AccountCall =
  | Call<'balance', number>
  | Call<'profile', Profile>
  | Call<'deposit', { balance: number }, { amount: number }>;

type AccountCast = { type: 'touch' } | { type: 'rename'; name: string };

class Account extends GenServer<{ balance: number; profile: Profile }, AccountCall, AccountCast> {
  init(balance: number) {
    return ok({ balance, profile: { name: 'ada', email: 'ada@example.com' } });
  }
  override handleCall(
    request: AccountCall,
    _from: From,
    state: { balance: number; profile: Profile },
  ) {
    switch (request.type) {
      case 'balance':
        return reply(state.balance, state);
      case 'profile':
        return reply(state.profile, state);
      case 'deposit': {
        const next = { ...state, balance: state.balance + request.amount };
        return reply({ balance: next.balance }, next);
      }
    }
  }
  override handleCast(request: AccountCast, state: { balance: number; profile: Profile }) {
    if (request.type === 'rename') {
      return noreply({ ...state, profile: { ...state.profile, name: request.name } });
    }
    return noreply(state);
  }
}

/** Never called: holds lines that must not compile. */
function typeErrors(account: ServerRef<Account>): void {
  // @ts-expect-error 'withdraw' is not one of Account's requests
  GenServer.call(account, { type: 'withdraw' });
  // @ts-expect-error 'deposit' needs its `amount` payload
  GenServer.call(account, { type: 'deposit' });
  // @ts-expect-error `amount` is a number
  GenServer.call(account, { type: 'deposit', amount: '10' });
  // @ts-expect-error casts are checked against the cast type too
  GenServer.cast(account, { type: 'explode' });
  // @ts-expect-error init takes a number
  GenServer.start(Account, 'not a number');
  // @ts-expect-error getState is typed by the state, which has no `owner`
  GenServer.getState(account).then((state) => state.owner);
}

describe('GenServer.call() types', () => {
  it('infers the reply type from the request type', async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const account = await GenServer.start(Account, 100, { runtime });
    expectTypeOf(account).toEqualTypeOf<ServerRef<Account>>();

    const balance = GenServer.call(account, { type: 'balance' });
    expectTypeOf(balance).resolves.toEqualTypeOf<number>();
    const profile = GenServer.call(account, { type: 'profile' });
    expectTypeOf(profile).resolves.toEqualTypeOf<Profile>();
    const deposit = GenServer.call(account, { type: 'deposit', amount: 5 });
    expectTypeOf(deposit).resolves.toEqualTypeOf<{ balance: number }>();

    expectTypeOf(await balance).toBeNumber();
    expectTypeOf((await profile).email).toBeString();
    expectTypeOf((await deposit).balance).toBeNumber();

    const state = await GenServer.getState(account);
    expectTypeOf(state).toEqualTypeOf<{ balance: number; profile: Profile }>();

    GenServer.cast(account, { type: 'rename', name: 'grace' });
    expectTypeOf(typeErrors).toBeFunction();
    await runtime.stop();
  });

  it('maps each request of a Call<> union to its reply', () => {
    expectTypeOf<ReplyOf<Call<'balance', number>>>().toEqualTypeOf<number>();
    expectTypeOf<ReplyFor<AccountCall, { type: 'profile' }>>().toEqualTypeOf<Profile>();
    expectTypeOf<ReplyFor<AccountCall, { type: 'deposit'; amount: number }>>().toEqualTypeOf<{
      balance: number;
    }>();
  });

  it('types From by the reply handleCall owes', () => {
    expectTypeOf(GenServer.reply<number>)
      .parameter(0)
      .toEqualTypeOf<From<number>>();
    expectTypeOf(GenServer.reply<number>)
      .parameter(1)
      .toEqualTypeOf<number>();
  });
});
