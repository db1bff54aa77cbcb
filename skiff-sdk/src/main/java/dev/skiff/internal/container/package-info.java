/**
 * The process that runs user functions: "the user's classpath plus Skiff's entrypoint". Not
 * supported API.
 */
package dev.skiff.internal.container;
