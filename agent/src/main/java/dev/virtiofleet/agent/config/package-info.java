/** Validation shared by the agent's configuration records: errors name the key, the value and what is allowed. */
package dev.virtiofleet.agent.config;
