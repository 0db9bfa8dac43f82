/**
 * The fedpeft client: {@link org.fedpeft.client.PeftClient}, one {@link
 * org.fedpeft.federation.ClientApp} for every adapter method, used unchanged by the simulation and
 * by a network client process; the run settings it reads from its instructions; the models it
 * builds on the shared frozen base; the FROZEN_SHARED fingerprint check.
 */
package org.fedpeft.client;
