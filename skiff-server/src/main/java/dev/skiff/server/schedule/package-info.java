/**
 * Functions that run on a schedule, internal: triggers ({@code FixedRate}, {@code CronSchedule})
 * and the runner that fires them and keeps each run ({@code ScheduleRunner}).
 *
 * <p><b>Owns (single authority today):</b> when each scheduled function fires next; the runs it
 * started (persisted through {@code ScheduleRunner.Persistence}).
 *
 * <p><b>May use:</b> {@code common}, {@code runtime}.
 */
package dev.skiff.server.schedule;
