/**
 * The two custom resources our KEDA examples write, as schemas written from their CRDs' published
 * fields (kubernetes-models has no CRDs): KEDA's `ScaledObject` (keda.sh/v1alpha1, from
 * config/crd/bases/keda.sh_scaledobjects.yaml of kedacore/keda) and the carbon-aware KEDA
 * operator's `CarbonAwareKedaScaler` (carbonaware.kubernetes.azure.com/v1alpha1, from its
 * api/v1alpha1 types and generated CRD). Names, nesting, required fields, enums, int32 ranges and
 * minimums as published; `status` and the HPA `behavior` block are left out (we write neither).
 * Decode with `onExcessProperty: "error"`: `kubectl apply` validates fields strictly, so a
 * misspelt field is an error there too.
 */
import { Schema } from "effect"

const Int32 = Schema.Int.pipe(Schema.between(-(2 ** 31), 2 ** 31 - 1))
const atLeast = (min: number) => Int32.pipe(Schema.greaterThanOrEqualTo(min))

const ObjectMeta = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  namespace: Schema.String.pipe(Schema.minLength(1)),
  labels: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  annotations: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

const ScaleTrigger = Schema.Struct({
  type: Schema.String.pipe(Schema.minLength(1)),
  name: Schema.optional(Schema.String),
  // Every value a string: an unquoted number in YAML is refused by the API server.
  metadata: Schema.Record({ key: Schema.String, value: Schema.String }),
  authenticationRef: Schema.optional(Schema.Struct({
    name: Schema.String,
    kind: Schema.optional(Schema.Literal("TriggerAuthentication", "ClusterTriggerAuthentication"))
  })),
  metricType: Schema.optional(Schema.String),
  useCachedMetrics: Schema.optional(Schema.Boolean)
})

export const ScaledObject = Schema.Struct({
  apiVersion: Schema.Literal("keda.sh/v1alpha1"),
  kind: Schema.Literal("ScaledObject"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    scaleTargetRef: Schema.Struct({
      name: Schema.String.pipe(Schema.minLength(1)),
      apiVersion: Schema.optional(Schema.String),
      kind: Schema.optional(Schema.String),
      envSourceContainerName: Schema.optional(Schema.String)
    }),
    pollingInterval: Schema.optional(atLeast(1)),
    cooldownPeriod: Schema.optional(atLeast(0)),
    initialCooldownPeriod: Schema.optional(atLeast(0)),
    idleReplicaCount: Schema.optional(atLeast(0)),
    minReplicaCount: Schema.optional(atLeast(0)),
    maxReplicaCount: Schema.optional(atLeast(1)),
    fallback: Schema.optional(Schema.Struct({
      failureThreshold: atLeast(0),
      replicas: atLeast(0),
      behavior: Schema.optional(
        Schema.Literal(
          "static",
          "currentReplicas",
          "currentReplicasIfHigher",
          "currentReplicasIfLower",
          "scalingModifiers"
        )
      )
    })),
    advanced: Schema.optional(Schema.Struct({
      horizontalPodAutoscalerConfig: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String) })),
      restoreToOriginalReplicaCount: Schema.optional(Schema.Boolean),
      scalingModifiers: Schema.optional(Schema.Struct({
        formula: Schema.optional(Schema.String),
        target: Schema.optional(Schema.String),
        activationTarget: Schema.optional(Schema.String),
        metricType: Schema.optional(Schema.Literal("AverageValue", "Value"))
      }))
    })),
    triggers: Schema.NonEmptyArray(ScaleTrigger)
  }).pipe(
    // The CRD's own rule (x-kubernetes-validations).
    Schema.filter((spec) =>
      spec.minReplicaCount === undefined || spec.minReplicaCount <= (spec.maxReplicaCount ?? 100) ||
      "minReplicaCount must be less than or equal to maxReplicaCount"
    )
  )
})
export type ScaledObject = typeof ScaledObject.Type

export const CarbonAwareKedaScaler = Schema.Struct({
  apiVersion: Schema.Literal("carbonaware.kubernetes.azure.com/v1alpha1"),
  kind: Schema.Literal("CarbonAwareKedaScaler"),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    kedaTarget: Schema.Literal("scaledobjects.keda.sh", "scaledjobs.keda.sh"),
    kedaTargetRef: Schema.Struct({ name: Schema.String, namespace: Schema.String }),
    maxReplicasByCarbonIntensity: Schema.NonEmptyArray(Schema.Struct({
      carbonIntensityThreshold: Int32,
      maxReplicas: Int32
    })),
    ecoModeOff: Schema.Struct({
      maxReplicas: Int32,
      carbonIntensityDuration: Schema.optional(Schema.Struct({
        carbonIntensityThreshold: Int32,
        overrideEcoAfterDurationInMins: Int32
      })),
      customSchedule: Schema.optional(
        Schema.Array(Schema.Struct({ startTime: Schema.String, endTime: Schema.String }))
      ),
      recurringSchedule: Schema.optional(Schema.Array(Schema.String))
    }),
    carbonIntensityForecastDataSource: Schema.Struct({
      localConfigMap: Schema.optional(Schema.Struct({
        name: Schema.String,
        namespace: Schema.String,
        key: Schema.String
      })),
      mockCarbonForecast: Schema.optional(Schema.Boolean)
    })
  })
})
export type CarbonAwareKedaScaler = typeof CarbonAwareKedaScaler.Type

export const decodeStrict = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })
