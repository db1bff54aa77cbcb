package dev.skiff;

/**
 * When a zero-argument function runs by itself: at a fixed rate ({@link Every}) or on a cron
 * expression ({@link Cron}).
 */
public sealed interface Schedule permits Every, Cron {}
