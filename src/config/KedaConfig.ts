/**
 * The forecast ConfigMap for Azure's carbon-aware KEDA operator: set `KEDA_CONFIGMAP`
 * (`namespace/name`) and `KEDA_ZONE` (one of `ZONES`) and the replica that leads keeps that
 * ConfigMap filled with the zone's forecast, in the format of the Kubernetes carbon intensity
 * exporter. Unset, nothing of it is built and no Kubernetes client is loaded for it.
 */
import { Config, type ConfigError, Context, Either, Option } from "effect"
import { bothOrNeither, kubeconfigPathOf, type ObjectRef, objectRef } from "./ClusterConfig.js"

export const KEDA_CONFIGMAP_VARIABLE = "KEDA_CONFIGMAP"
export const KEDA_ZONE_VARIABLE = "KEDA_ZONE"

export interface KedaTarget {
  readonly configMap: ObjectRef
  /** The zone whose forecast is published: one of `ZONES`. */
  readonly zone: string
  /** A kubeconfig for a run outside the cluster; none inside a pod (the service account is used). */
  readonly kubeconfigPath: Option.Option<string>
}

export interface KedaSettings {
  /** None: no KEDA ConfigMap. */
  readonly keda: Option.Option<KedaTarget>
}

export class KedaConfig extends Context.Tag("carbon-poller/KedaConfig")<KedaConfig, KedaSettings>() {}

export const kedaConfig: Config.Config<KedaSettings> = Config.all({
  configMap: objectRef(KEDA_CONFIGMAP_VARIABLE),
  zone: Config.option(Config.string(KEDA_ZONE_VARIABLE)),
  kubeconfig: Config.option(Config.string("KUBECONFIG"))
}).pipe(
  Config.mapOrFail(({ configMap, kubeconfig, zone }): Either.Either<KedaSettings, ConfigError.ConfigError> =>
    Either.map(
      bothOrNeither(
        { variable: KEDA_CONFIGMAP_VARIABLE, value: configMap },
        { variable: KEDA_ZONE_VARIABLE, value: Option.filter(Option.map(zone, (z) => z.trim()), (z) => z !== "") },
        `the KEDA forecast ConfigMap needs both ${KEDA_CONFIGMAP_VARIABLE} (namespace/name) and ${KEDA_ZONE_VARIABLE} (one of ZONES); set both, or neither`
      ),
      (both) => ({
        keda: Option.map(
          both,
          ([configMap, zone]) => ({ configMap, zone, kubeconfigPath: kubeconfigPathOf(kubeconfig) })
        )
      })
    )
  )
)

/**
 * What the rest of the configuration must say for the ConfigMap to be filled: the zone is polled,
 * and forecasts are on (the ConfigMap is a forecast; without one it would never be written).
 */
export const kedaProblems = (
  settings: KedaSettings,
  zones: ReadonlyArray<string>,
  forecastsOn: boolean
): ReadonlyArray<{ readonly variable: string; readonly expected: string }> =>
  Option.match(settings.keda, {
    onNone: () => [],
    onSome: (target) => [
      ...(zones.includes(target.zone) ? [] : [{
        variable: KEDA_ZONE_VARIABLE,
        expected: `must be one of ZONES (${zones.join(", ")}): only a polled zone has a forecast to publish`
      }]),
      ...(forecastsOn ? [] : [{
        variable: KEDA_CONFIGMAP_VARIABLE,
        expected: "publishes KEDA_ZONE's forecast, so forecasts must be on: set FORECAST_WINDOWS_MINUTES (e.g. 60)"
      }])
    ]
  })
