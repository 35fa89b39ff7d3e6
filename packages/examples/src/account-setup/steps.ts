import type { Repo, SetupStep, User } from '../db/repo.js';
import { requestJson } from '../services/http-client.js';

/** What the setup steps need: the database and where the services are. */
export interface SetupDeps {
  repo: Repo;
  crmUrl: string;
  fulfillmentUrl: string;
}

/**
 * One setup step: does its work against a service and stores the result on the user row.
 * A step whose `signal` aborted (its process was killed) stores nothing, even if the
 * answer came in: the step may already be recorded as abandoned, and a result written
 * after the process is gone would contradict that record.
 */
export type StepWork = (user: User, deps: SetupDeps, signal: AbortSignal) => Promise<void>;

/**
 * The article's `CRM.create_user/1`: registers the user with the CRM and stores the
 * CRM's id as `crm_id`. Throws `ServiceError` when the CRM fails.
 */
export const CRM = {
  async createUser(user: User, deps: SetupDeps, signal: AbortSignal): Promise<void> {
    const contact = await requestJson<{ id: string }>(`${deps.crmUrl}/contacts`, {
      body: { email: user.email, name: user.name },
      signal,
    });
    signal.throwIfAborted();
    deps.repo.setCrmId(user.id, contact.id);
  },
};

/**
 * The article's `Fulfillment.set_nearest_location/1`: asks the fulfillment service
 * for the center nearest to the user's address and stores it as
 * `fulfillment_center_id`. Throws `ServiceError` when the service fails.
 */
export const Fulfillment = {
  async setNearestLocation(user: User, deps: SetupDeps, signal: AbortSignal): Promise<void> {
    const { centerId } = await requestJson<{ centerId: string }>(
      `${deps.fulfillmentUrl}/nearest-center`,
      { body: { address: user.address }, signal },
    );
    signal.throwIfAborted();
    deps.repo.setFulfillmentCenterId(user.id, centerId);
  },
};

/** The two steps, by name. */
export const steps: Record<SetupStep, StepWork> = {
  crm: CRM.createUser,
  fulfillment: Fulfillment.setNearestLocation,
};
